# splitcore QEMU board support: start-up, vectors, a core-1 "ROM" stand-in and semihosting.
#
# Machine: qemu-system-xtensa -M sim (or -M kc705) -cpu de233_fpu -smp 1|2, windowed ABI (XEA2).
# Assembled with `llvm-mc-22 --triple=xtensa -mcpu=esp32 -filetype=obj`. Plain GNU-as syntax,
# with two llvm-mc 22 constraints: literals are placed by hand (`.p2align 2` + `.long` before the
# `l32r` that reads them; `.literal`/large `movi` produce misaligned literals), and instructions
# llvm-mc does not know (`simcall`, `rer`, `wer`) are emitted as bytes.
#
# Boot flow:
#   every CPU starts at 0xFE000000 -> _board_reset -> _board_start, which dispatches on PRID:
#   core 0 -> set up vectors, windows, stack -> board_main (Rust).
#   core 1 -> the ROM stand-in: it behaves like the ESP32-S3 ROM on the APP CPU, i.e. it runs on
#             its own "ROM stack" (filled with a canary so tests can see if anything spills into
#             it), keeps live register-window frames, polls `board_boot_addr` (the stand-in for
#             SYSTEM_CORE_1_CONTROL_1_REG) and enters that address with a windowed `callx8`.
#   cores >= 2 park.
# On -M kc705 core 1 stays stalled until core 0 calls `board_release_core1` (MPSCORE), like
# RUNSTALL on the S3; on -M sim it runs at once and waits in the ROM stand-in.

	.macro SIMCALL
	.byte 0x00, 0x51, 0x00
	.endm

	# The window overflow/underflow handlers, shared with the core-1 runtime.
	.include "window_vectors.inc"    # firmware/runtime/asm (the runner passes -I)

# ------------------------------------------------------------------------------------------------
# Board vector table (core 0 always; core 1 while it runs the board's own core-1 entry).
# Every exception is fatal for a test program: it is recorded and reported by `board_fault`.
	.section .board.vectors, "ax"
	.p2align 10
	.global _board_vectors
_board_vectors:
	WINDOW_VECTORS
	.org 0x180                # Level2..5 interrupts: the board enables none
	wsr a0, excsave1
	movi a0, 3
	j _board_fault_entry
	.org 0x1c0
	wsr a0, excsave1
	movi a0, 3
	j _board_fault_entry
	.org 0x200
	wsr a0, excsave1
	movi a0, 3
	j _board_fault_entry
	.org 0x240
	wsr a0, excsave1
	movi a0, 3
	j _board_fault_entry
	.org 0x280                # Debug (level 6): BREAK lands here, not in the user vector
	wsr a0, excsave1
	movi a0, 1
	j _board_fault_entry
	.org 0x2c0                # NMI (level 7)
	wsr a0, excsave1
	movi a0, 3
	j _board_fault_entry
	.org 0x300                # Kernel exception
	wsr a0, excsave1
	movi a0, 0
	j _board_fault_entry
	.org 0x340                # User exception (PS.UM=1), incl. level-1 interrupts
	wsr a0, excsave1
	movi a0, 0
	j _board_fault_entry
	.org 0x3c0                # Double exception
	wsr a0, excsave1
	movi a0, 2
	j _board_fault_entry
	.org 0x400

# The "ROM" vector table of the ROM stand-in: window handlers only plus a fatal exit, so that the
# code under test must install its own table (as on the S3, where the ROM's VECBASE is useless).
	.section .board.romvectors, "ax"
	.p2align 10
	.global _board_romvectors
_board_romvectors:
	WINDOW_VECTORS
	.org 0x280
	movi a3, 98               # exit(98): exception while the ROM's vectors were active
	movi a2, 1
	SIMCALL
	.org 0x300
	movi a3, 98
	movi a2, 1
	SIMCALL
	.org 0x340
	movi a3, 98
	movi a2, 1
	SIMCALL
	.org 0x3c0
	movi a3, 98
	movi a2, 1
	SIMCALL
	.org 0x400

# ------------------------------------------------------------------------------------------------
	.section .board.text, "ax"

# Fault record per core: board_fault_record + 64 * PRID. Words:
#   0 kind (0 exception, 1 debug, 2 double, 3 unexpected interrupt), 1 EXCCAUSE, 2 EPC,
#   3 EXCVADDR, 4 PS, 5 a0 (from EXCSAVE1), 6 a1, 7 DEBUGCAUSE, 8 EPC6, 9 DEPC
	.p2align 2
.Lfault_rec:	.long board_fault_record
	.p2align 2
.Lfault_stk0:	.long _board_fault_stack0_top
	.p2align 2
.Lfault_stk1:	.long _board_fault_stack1_top
	.p2align 2
.Lfault_ps:	.long 0x0004002f          # WOE=1, UM=1, EXCM=0, INTLEVEL=15
	.p2align 2
.Lfault_fn:	.long board_fault
	.p2align 2
_board_fault_entry:               # a0 = kind, original a0 in EXCSAVE1; a2/a3 are sacrificed
	rsr a2, prid
	slli a2, a2, 6
	l32r a3, .Lfault_rec
	add a2, a2, a3            # a2 = &record[prid]
	s32i a0, a2, 0
	s32i a1, a2, 24
	rsr a3, exccause
	s32i a3, a2, 4
	rsr a3, epc1
	s32i a3, a2, 8
	rsr a3, excvaddr
	s32i a3, a2, 12
	rsr a3, ps
	s32i a3, a2, 16
	rsr a3, excsave1
	s32i a3, a2, 20
	rsr a3, debugcause
	s32i a3, a2, 28
	rsr a3, epc6
	s32i a3, a2, 32
	rsr a3, depc
	s32i a3, a2, 36
	memw
	# Continue on the per-core fault stack with a fresh window state: the faulting context is
	# abandoned (test programs end on a fault), so its frames need not be spilled. Everything is
	# reloaded after the WINDOWBASE write, which renames a0..a15.
	movi a2, 0
	wsr a2, windowbase
	rsync
	movi a2, 1
	wsr a2, windowstart
	rsync
	rsr a2, prid
	l32r a1, .Lfault_stk0
	beqz a2, 1f
	l32r a1, .Lfault_stk1
1:	mov a3, a1
	addi a1, a1, -64
	addi a4, a1, -12
	s32i a3, a4, 0            # root frame's caller-SP slot, read by WindowOverflow8/12
	slli a2, a2, 6
	l32r a3, .Lfault_rec
	add a6, a2, a3            # argument for board_fault (the callx4 callee's a2 is our a6)
	l32r a2, .Lfault_ps
	wsr a2, ps
	rsync
	movi a0, 0
	l32r a4, .Lfault_fn
	callx4 a4                 # board_fault(&record): never returns
2:	waiti 15
	j 2b

# Common CPU set-up for a fresh windowed-ABI context:
# VECBASE = a2 on entry, WINDOWBASE=0/WINDOWSTART=1, FPU on, ATOMCTL for S32C1I on sysram.
	.macro CPU_INIT vec_lit
	l32r a2, \vec_lit
	wsr a2, vecbase
	movi a2, 0
	wsr a2, windowbase
	rsync
	movi a2, 1
	wsr a2, windowstart
	rsync
	movi a2, 1                # CPENABLE.CP0: FPU (else EXCCAUSE 32 on the first FP instruction)
	wsr a2, cpenable
	movi a2, 0x15             # ATOMCTL: S32C1I as read-compare-write on all memory types
	wsr a2, atomctl           # (reset value 0x28 raises LoadStoreError on the bypass-mapped sysram)
	rsync
	.endm

	# Switch to a fresh stack whose top is in a2, writing the root frame's caller-SP slot.
	.macro ENTER_STACK stack_lit, ps_lit, main_lit
	l32r a2, \stack_lit
	addi a1, a2, -64
	addi a3, a1, -12
	s32i a2, a3, 0            # root frame's "caller SP" slot, read by WindowOverflow8/12
	l32r a2, \ps_lit
	wsr a2, ps
	rsync
	movi a0, 0                # return address 0 ends every backtrace
	l32r a8, \main_lit
	callx8 a8
	.endm

	.p2align 2
.Lvec0:	.long _board_vectors
	.p2align 2
.Lstack0:	.long _board_stack0_top
	.p2align 2
.Lps0:	.long 0x0004002f
	.p2align 2
.Lmain0:	.long board_main
	.p2align 2
.Lrom1:	.long _board_rom_stand_in
	.p2align 2
	.global _board_start
_board_start:
	rsr a2, prid
	beqz a2, 2f
	bnei a2, 1, 3f
	l32r a2, .Lrom1
	jx a2                     # core 1 -> ROM stand-in
3:	waiti 15                  # cores 2.. park
	j 3b
2:	CPU_INIT .Lvec0
	ENTER_STACK .Lstack0, .Lps0, .Lmain0
1:	waiti 15
	j 1b

# The core-1 ROM stand-in. Canary fill, then a ROM-like call chain of three windowed frames
# (deep enough that the caller frames are live in the register file when the boot address is
# entered, shallow enough that the stand-in itself never spills), then poll the boot address.
	.p2align 2
.Lromvec:	.long _board_romvectors
	.p2align 2
.Lromlo:	.long _board_romstk_lo
	.p2align 2
.Lromhi:	.long _board_romstk_hi
	.p2align 2
.Lcanary:	.long 0xa5a5a5a5
	.p2align 2
.Lromps:	.long 0x0004002f
	.p2align 2
.Lbootaddr:	.long board_boot_addr
	.p2align 2
.Lromalive:	.long board_rom_alive
	.p2align 2
_board_rom_stand_in:
	CPU_INIT .Lromvec
	l32r a2, .Lromlo
	l32r a3, .Lromhi
	l32r a4, .Lcanary
1:	s32i a4, a2, 0
	addi a2, a2, 4
	bltu a2, a3, 1b
	l32r a2, .Lromhi
	addi a1, a2, -64
	addi a3, a1, -12
	s32i a2, a3, 0            # root caller-SP slot: the one ROM-stack word that is not canary
	l32r a2, .Lromps
	wsr a2, ps
	rsync
	l32r a2, .Lromalive
	movi a3, 1
	memw
	s32i a3, a2, 0
	memw
	movi a0, 0
	call8 _board_rom_f1
4:	j 4b
	.p2align 2
_board_rom_f1:
	entry a1, 32
	call8 _board_rom_f2
	retw
	.p2align 2
_board_rom_f2:
	entry a1, 32
	l32r a8, .Lbootaddr
5:	memw
	l32i a9, a8, 0
	beqz a9, 5b
	movi a10, 0x111           # live values in the ROM's frames, like the real ROM's
	movi a11, 0x222
	callx8 a9                 # enter the boot address with a windowed call (returns: park)
	retw

# Core-1 entry for programs that do not bring their own runtime (the test harness): a minimal
# trampoline that forgets the ROM's frames, installs the board vectors and its own stack.
	.p2align 2
.Lstack1:	.long _board_stack1_top
	.p2align 2
.Lmain1:	.long board_core1_main
	.p2align 2
	.global board_core1_entry
board_core1_entry:
	rsil a2, 15
	CPU_INIT .Lvec0
	ENTER_STACK .Lstack1, .Lps0, .Lmain1
6:	waiti 15
	j 6b

# ------------------------------------------------------------------------------------------------
# Small windowed functions callable from Rust (`extern "C"`). Rust inline asm is not available on
# Xtensa with this rustc, so special registers are reached through these.
	.macro FN name
	.section .text.\name, "ax"
	.p2align 2
	.global \name
	.type \name, @function
\name:
	entry a1, 32
	.endm

	FN board_prid                 # -> PRID (CPU index on these machines)
	rsr a2, prid
	retw
	FN board_ccount               # -> CCOUNT
	rsr a2, ccount
	retw
	FN board_semihost_write       # (fd, buf, len) -> bytes written or -1
	mov a5, a4
	mov a4, a3
	mov a3, a2
	movi a2, 4                # TARGET_SYS_write
	SIMCALL
	retw
	FN board_exit                 # (code) -> !
	mov a3, a2
	movi a2, 1                # TARGET_SYS_exit
	SIMCALL
1:	j 1b
	FN board_release_core1        # xtfpga MX: MPSCORE = 0 releases core 1's RunStall (no-op on sim)
	movi a3, 0
	movi a2, 0x200
	.byte 0x30, 0x72, 0x40        # wer a3, a2   (ERI[0x200] = MPSCORE = 0)
	retw
	FN board_er_write             # (address, value): WER to the xtfpga MX distributor (IPIs)
	.byte 0x30, 0x72, 0x40        # wer a3, a2
	retw
	FN board_sp                   # -> current stack pointer of the caller's frame
	mov a2, a1
	retw
	FN board_spin                 # (n): 2 instructions per iteration, for instruction-exact timing
1:	addi a2, a2, -1
	bnez a2, 1b
	retw
	FN board_trigger_illegal      # deliberately executes an illegal instruction (runner self-test)
	ill
	retw

	# LLVM 22 lowers `llvm.trap` (core::intrinsics::abort) to a call to `abort`.
	FN abort                      # exit(90)
	movi a3, 90
	movi a2, 1
	SIMCALL
1:	j 1b

# ------------------------------------------------------------------------------------------------
	.section .board.reset, "ax"
	.p2align 2
	.global _board_reset
_board_reset:
	j 1f
	.p2align 2
.Lrst:	.long _board_start
1:	l32r a0, .Lrst
	jx a0

	# Some machines (the xtfpga boards such as -M kc705) start secondary CPUs at the alternate
	# static reset vector of de233_fpu, 0x00001000 in sysram. Same dispatch on PRID.
	.section .board.reset1, "ax"
	.p2align 2
	.global _board_reset1
_board_reset1:
	j 1f
	.p2align 2
.Lrst1:	.long _board_start
1:	l32r a0, .Lrst1
	jx a0

	.section .data.board, "aw"
	.p2align 4
	.global board_boot_addr, board_rom_alive, board_fault_record, board_core1_reset_request
board_boot_addr:	.long 0     # stand-in for SYSTEM_CORE_1_CONTROL_1_REG (ROM boot address)
board_rom_alive:	.long 0     # 1 once the core-1 ROM stand-in is polling
board_core1_reset_request:	.long 0   # stand-in for a core-1 reset: a parked runtime restarts
	.p2align 4
board_fault_record:	.space 256, 0
