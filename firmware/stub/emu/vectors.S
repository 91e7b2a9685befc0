/*
 * vectors.S: the fake mask ROM's fixed part. The reset shim, the exception vectors at
 * VECBASE 0x40000000, the save/restore around the models (C, rom.c), and a jump at each
 * ROM address the stub links against (../esp8266/stub.ld), so the unchanged stub ELF
 * calls into the models exactly as it calls the mask ROM on a chip.
 *
 * Frames (24 words): a0..a15, SAR (16), EPC1 (17), EXCCAUSE (18), EXCVADDR (19), PS (20).
 * A trap (a UART/efuse register access) is saved in one static frame and handled on the
 * ROM's own exception stack, so it adds nothing to the stub's stack (on the chip these
 * accesses are plain loads and stores); the timer interrupt's frame goes on the
 * interrupted stack, as the ROM's interrupt dispatcher's does.
 */
#define FRAME_SIZE 96

    .section .reset, "ax"
    .global _reset
    .align 4
_reset:
    j       .Lreset_start
    .align 4
.Llit_rom_stack:
    .word   rom_stack + 8192
.Llit_rom_main:
    .word   rom_main
.Llit_vecbase:
    .word   0x40000000
.Lreset_start:
    l32r    a2, .Llit_vecbase
    wsr.vecbase a2
    l32r    a1, .Llit_rom_stack
    movi    a0, 0
    l32r    a2, .Llit_rom_main
    callx0  a2
1:  j       1b

    .section .vectors, "ax"
    .global _vectors
_vectors:
    .org    0x10                /* debug (level 2) */
    movi    a2, 2
    j       fatal_vector
    .org    0x20                /* NMI (level 3) */
    movi    a2, 3
    j       fatal_vector
    .org    0x30                /* kernel */
    wsr.excsave1 a0
    j       exc_common
    .org    0x50                /* user */
    wsr.excsave1 a0
    j       exc_common
    .org    0x70                /* double */
    movi    a2, 4
    j       fatal_vector

    .org    0x80
    .align 4
.Llit_trap_frame:
    .word   rom_trap_frame
.Llit_trap_stack:
    .word   rom_trap_stack + 2048
.Llit_rom_trap:
    .word   rom_trap
.Llit_rom_irq:
    .word   rom_irq
.Llit_rom_fatal:
    .word   rom_fatal_vector
.Llit_rom_stack2:
    .word   rom_stack + 8192
.Llit_rom_returned:
    .word   rom_stub_returned
.Llit_rom_flash_boot:
    .word   rom_flash_boot
.Llit_rom_loader_return:
    .word   rom_loader_return
.Llit_resume:
    .word   0x40001200

    .org    0x100
exc_common:
    rsr.exccause a0
    beqi    a0, 4, .Lirq
    j       .Ltrap

    /* Level-1 interrupt (the tick): a frame on the interrupted stack. */
.Lirq:
    addi    a1, a1, -FRAME_SIZE
    s32i    a2, a1, 8
    s32i    a3, a1, 12
    s32i    a4, a1, 16
    s32i    a5, a1, 20
    s32i    a6, a1, 24
    s32i    a7, a1, 28
    s32i    a8, a1, 32
    s32i    a9, a1, 36
    s32i    a10, a1, 40
    s32i    a11, a1, 44
    s32i    a12, a1, 48
    s32i    a13, a1, 52
    s32i    a14, a1, 56
    s32i    a15, a1, 60
    addi    a0, a1, FRAME_SIZE
    s32i    a0, a1, 4
    rsr.excsave1 a0
    s32i    a0, a1, 0
    rsr.sar a0
    s32i    a0, a1, 64
    rsr.epc1 a0
    s32i    a0, a1, 68
    rsr.ps  a0
    s32i    a0, a1, 80
    mov     a2, a1
    l32r    a0, .Llit_rom_irq
    callx0  a0
    l32i    a0, a1, 80
    wsr.ps  a0
    rsync
    l32i    a0, a1, 68
    wsr.epc1 a0
    l32i    a0, a1, 64
    wsr.sar a0
    l32i    a2, a1, 8
    l32i    a3, a1, 12
    l32i    a4, a1, 16
    l32i    a5, a1, 20
    l32i    a6, a1, 24
    l32i    a7, a1, 28
    l32i    a8, a1, 32
    l32i    a9, a1, 36
    l32i    a10, a1, 40
    l32i    a11, a1, 44
    l32i    a12, a1, 48
    l32i    a13, a1, 52
    l32i    a14, a1, 56
    l32i    a15, a1, 60
    l32i    a0, a1, 0
    addi    a1, a1, FRAME_SIZE
    rfe

    /* Any other exception: one static frame, the ROM's exception stack. */
.Ltrap:
    l32r    a0, .Llit_trap_frame
    s32i    a1, a0, 4
    s32i    a2, a0, 8
    s32i    a3, a0, 12
    s32i    a4, a0, 16
    s32i    a5, a0, 20
    s32i    a6, a0, 24
    s32i    a7, a0, 28
    s32i    a8, a0, 32
    s32i    a9, a0, 36
    s32i    a10, a0, 40
    s32i    a11, a0, 44
    s32i    a12, a0, 48
    s32i    a13, a0, 52
    s32i    a14, a0, 56
    s32i    a15, a0, 60
    rsr.excsave1 a2
    s32i    a2, a0, 0
    rsr.sar a2
    s32i    a2, a0, 64
    rsr.epc1 a2
    s32i    a2, a0, 68
    mov     a2, a0
    l32r    a1, .Llit_trap_stack
    l32r    a0, .Llit_rom_trap
    callx0  a0
    l32r    a0, .Llit_trap_frame
    l32i    a2, a0, 68
    wsr.epc1 a2
    l32i    a2, a0, 64
    wsr.sar a2
    l32i    a1, a0, 4
    l32i    a2, a0, 8
    l32i    a3, a0, 12
    l32i    a4, a0, 16
    l32i    a5, a0, 20
    l32i    a6, a0, 24
    l32i    a7, a0, 28
    l32i    a8, a0, 32
    l32i    a9, a0, 36
    l32i    a10, a0, 40
    l32i    a11, a0, 44
    l32i    a12, a0, 48
    l32i    a13, a0, 52
    l32i    a14, a0, 56
    l32i    a15, a0, 60
    l32i    a0, a0, 0
    rfe

    /* Debug, NMI and double exceptions end the run (a2: which vector). */
fatal_vector:
    mov     a3, a1
    l32r    a1, .Llit_trap_stack
    l32r    a0, .Llit_rom_fatal
    callx0  a0
1:  j       1b

    /* Where the stub returns when stub_entry ends (its a0 at entry). */
stub_returned:
    mov     a2, a1
    l32r    a1, .Llit_rom_stack2
    l32r    a0, .Llit_rom_returned
    callx0  a0
1:  j       1b
flash_boot:
    mov     a2, a1
    l32r    a1, .Llit_rom_stack2
    l32r    a0, .Llit_rom_flash_boot
    callx0  a0
1:  j       1b
loader_return:
    mov     a2, a1
    l32r    a1, .Llit_rom_stack2
    l32r    a0, .Llit_rom_loader_return
    callx0  a0
1:  j       1b

    /* rom_enter_stub(entry, sp): call0 into the stub as the ROM loader does, on `sp`,
     * returning to 0x40001200; the loader's own return address sits in its frame above. */
    .global rom_enter_stub
    .align 4
rom_enter_stub:
    mov     a1, a3
    l32r    a0, .Llit_resume
    movi    a3, 0x20            /* PS: user mode, interrupt level 0 */
    wsr.ps  a3
    rsync
    jx      a2

    /* The ROM's entry points, at the addresses of ../esp8266/stub.ld. */
    .org    0x0f88
    j       rom_ets_isr_attach
    .org    0x0fa8
    j       rom_ets_isr_unmask
    .org    0x0fbc
    j       rom_ets_set_user_start
    .org    0x1000
    .word   0xfff0c101          /* the chip-detect word */
    .org    0x10a8
    j       flash_boot          /* the ROM's flash boot */
    .org    0x1100
    j       loader_return       /* the ROM loader's return address into the boot */
    .org    0x1200
    j       stub_returned
    .org    0x264c
    j       rom_software_reset
    .org    0x2ecc
    j       rom_ets_delay_us
    .org    0x39d8
    j       rom_uart_div_modify
    .org    0x3f58
    j       rom_select_spi_function
    .org    0x4878
    j       rom_spi_unlock
    .org    0x4984
    j       rom_spi_erase_chip
    .org    0x49b4
    j       rom_spi_erase_block
    .org    0x4a00
    j       rom_spi_erase_sector
    .org    0x4a4c
    j       rom_spi_write
    .org    0x4b1c
    j       rom_spi_read
    .org    0x4c2c
    j       rom_spi_param_cfg
    .org    0xdf48
    j       memcpy
    .org    0xe190
    j       memset
    .org    0xe21c
    j       __udivsi3
    .org    0xe268
    j       __umodsi3
    .org    0xe300
