// Kernel-header side of CTermios. Includes <asm/termbits.h> and never glibc's <termios.h>:
// both define `struct termios` and the flag macros, differently.

#include <asm/termbits.h>
#include <sys/ioctl.h>

#include "CTermios.h"

static void set_any_baud(struct termios2 *tio, unsigned int baud) {
    tio->c_cflag &= ~(CBAUD | CIBAUD);
    tio->c_cflag |= BOTHER | (BOTHER << IBSHIFT);
    tio->c_ospeed = baud;
    tio->c_ispeed = baud;
}

int ctermios_configure_raw(int fd, unsigned int baud) {
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;

    tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF
                     | IXANY | INPCK | IUCLC | IMAXBEL);
    tio.c_oflag &= ~OPOST;
    tio.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    tio.c_cflag &= ~(CSIZE | PARENB | CSTOPB | CRTSCTS);
    tio.c_cflag |= CS8 | CLOCAL | CREAD;
    tio.c_cc[VMIN] = 0;
    tio.c_cc[VTIME] = 0;
    set_any_baud(&tio, baud);

    return ioctl(fd, TCSETS2, &tio) == 0 ? 0 : -1;
}

int ctermios_set_baud(int fd, unsigned int baud) {
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    set_any_baud(&tio, baud);
    return ioctl(fd, TCSETS2, &tio) == 0 ? 0 : -1;
}

int ctermios_get_baud(int fd, unsigned int *output_baud, unsigned int *input_baud) {
    struct termios2 tio;
    if (ioctl(fd, TCGETS2, &tio) != 0) return -1;
    if (output_baud) *output_baud = tio.c_ospeed;
    if (input_baud) *input_baud = tio.c_ispeed;
    return 0;
}

int ctermios_set_exclusive(int fd, int exclusive) {
    return ioctl(fd, exclusive ? TIOCEXCL : TIOCNXCL) == 0 ? 0 : -1;
}

int ctermios_get_modem_lines(int fd, int *dtr, int *rts) {
    int bits = 0;
    if (ioctl(fd, TIOCMGET, &bits) != 0) return -1;
    if (dtr) *dtr = (bits & TIOCM_DTR) != 0;
    if (rts) *rts = (bits & TIOCM_RTS) != 0;
    return 0;
}

int ctermios_update_modem_lines(int fd, int dtr, int rts) {
    int bits = 0;
    if (ioctl(fd, TIOCMGET, &bits) != 0) return -1;
    if (dtr >= 0) bits = dtr ? (bits | TIOCM_DTR) : (bits & ~TIOCM_DTR);
    if (rts >= 0) bits = rts ? (bits | TIOCM_RTS) : (bits & ~TIOCM_RTS);
    return ioctl(fd, TIOCMSET, &bits) == 0 ? 0 : -1;
}
