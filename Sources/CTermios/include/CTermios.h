// CTermios: the few terminal operations Swift cannot express through Glibc.
//
// Linux sets an arbitrary line rate (74880, 1500000, ...) only through `struct termios2`
// with the BOTHER flag, which lives in the kernel's <asm/termbits.h>. That header clashes
// with glibc's <termios.h>, so it stays inside ctermios.c and this public header has no
// kernel includes at all.
//
// Every function returns 0 on success, or -1 with `errno` set by the failing ioctl.

#ifndef CTERMIOS_H
#define CTERMIOS_H

#ifdef __cplusplus
extern "C" {
#endif

/// Puts the terminal in raw mode (like cfmakeraw: no echo, no line editing, no signal
/// characters, no CR/LF translation, no output processing), 8 data bits, no parity, one stop
/// bit, CLOCAL|CREAD, no hardware or software flow control, VMIN = VTIME = 0, and sets
/// `baud` in both directions. Other flags (HUPCL, ...) are left as they are.
/// On a pseudo-terminal's master side this configures the slave side.
int ctermios_configure_raw(int fd, unsigned int baud);

/// Sets the line rate in both directions to any value (termios2 + BOTHER).
/// On a pseudo-terminal's master side this sets the slave side's rate.
int ctermios_set_baud(int fd, unsigned int baud);

/// Reads the output and input line rates (TCGETS2). On a pseudo-terminal's master side
/// this reads what the slave side (the client) has set.
int ctermios_get_baud(int fd, unsigned int *output_baud, unsigned int *input_baud);

/// Sets (`exclusive` != 0, TIOCEXCL) or clears (TIOCNXCL) exclusive mode: while set,
/// further opens of the terminal fail with EBUSY (except for CAP_SYS_ADMIN).
int ctermios_set_exclusive(int fd, int exclusive);

/// Reads the DTR and RTS modem lines (TIOCMGET); 1 means asserted.
int ctermios_get_modem_lines(int fd, int *dtr, int *rts);

/// Changes DTR and RTS together: reads the modem lines once (TIOCMGET), then writes the
/// new state with a single TIOCMSET, so both lines change at the same instant.
/// A negative value leaves that line as it is; 0 deasserts, a positive value asserts.
int ctermios_update_modem_lines(int fd, int dtr, int rts);

#ifdef __cplusplus
}
#endif

#endif
