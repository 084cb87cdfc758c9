# splitcore core-1 runtime: entry trampoline, vector table, crash capture, interrupts at levels 1..3.
#
# Plain GNU-as syntax (Espressif's assembler takes it too); with llvm-mc 22: literals are placed by
# hand (`.p2align 2` + `.long` before their `l32r`), `movi` stays within +-2047, and the
# instructions it lacks (`rer`/`wer`) are bytes. Everything lives in `.iram1.*` sections so that
# ESP-IDF's linker-script generator puts it in IRAM, and the vector table is 1 KiB aligned.
#
# Assembled with `--defsym SPLITCORE_QEMU=1` for the emulated board (ATOMCTL for QEMU's
# bypass-mapped sysram).
#
# llvm-mc 22's Xtensa parser takes no symbolic immediates, so offsets are written as numbers.
# They are listed here; the crash-record offsets are asserted against the Rust struct in
# crates/proto/src/crash.rs (`offsets`) and the control block's CRASH_OFFSET.

	# CRASH_MAGIC_OFF = 0
	# CRASH_REASON = 8
	# CRASH_EXCCAUSE = 12
	# CRASH_PC = 16
	# CRASH_EXCVADDR = 20
	# CRASH_PS = 24
	# CRASH_SAR = 28
	# CRASH_WINDOWBASE = 32
	# CRASH_WINDOWSTART = 36
	# CRASH_DEBUGCAUSE = 40
	# CRASH_A = 44
	# CONTROL_CRASH = 64          # offset of the crash record in the control block

	# REASON_EXCEPTION = 1
	# REASON_DEBUG = 3
	# REASON_DOUBLE = 4
	# REASON_INTERRUPT = 6

	.set STACK_CANARY, 0xa5a5a5a5

	# Save area of an interrupt at level 1..3 (see "Interrupts" below).
	# IF_BASE = -128            # save area = [sp - 128, sp - 40): below the 32 bytes the frame
	#                           # function's window spill uses ([sp-16..] and [sp-32..sp-16))
	# IF_A2 = 8                 # a2..a15 at IF_A2 + 4*(n-2) (a0 stays in the window, a1 is kept)
	# IF_PC = 64                # level 1 only (EPC2/3 and EPS2/3 stay in their registers)
	# IF_PS = 68                # level 1 only
	# IF_SAR = 72
	# IF_LBEG = 76
	# IF_LEND = 80
	# IF_LCOUNT = 84            # 88 bytes, the frame function's `entry a1, 128` covers them

	.include "window_vectors.inc"

	.macro CRASH_VECTOR reason
	wsr a0, excsave1
	movi a0, \reason
	j _splitcore_crash
	.endm

	# Levels 4, 5 and the NMI (above EXCM_LEVEL, never dispatched): the interrupted PC and PS are
	# in EPCn/EPSn. The crash code cannot tell the three apart by reason, so each vector copies
	# its pair to EPC6/EPS6, which the crash code reads for debug exceptions too.
	.macro INTERRUPT_CRASH_VECTOR level
	wsr a0, excsave1
	rsr a0, epc\level
	wsr a0, epc6
	rsr a0, eps\level
	wsr a0, eps6
	movi a0, 6
	j _splitcore_crash
	.endm

# ------------------------------------------------------------------------------------------------
# The vector table (VECBASE). Offsets: FACTS.md §10 / IDF core-isa.h *_VECOFS.
	.section .iram1.splitcore_vectors, "ax"
	.p2align 10
	.global _splitcore_vectors
	.type _splitcore_vectors, @object
_splitcore_vectors:
	.global _splitcore_vector_window
_splitcore_vector_window:
	WINDOW_VECTORS
	.org 0x180
	.global _splitcore_vector_level2
_splitcore_vector_level2:
	wsr a0, excsave2
	j _splitcore_level2_interrupt
	.org 0x1c0
	.global _splitcore_vector_level3
_splitcore_vector_level3:
	wsr a0, excsave3
	j _splitcore_level3_interrupt
	.org 0x200
	.global _splitcore_vector_level4
_splitcore_vector_level4:        # levels 4, 5 and NMI are above EXCM_LEVEL (3): not dispatched
	INTERRUPT_CRASH_VECTOR 4
	.org 0x240
	.global _splitcore_vector_level5
_splitcore_vector_level5:
	INTERRUPT_CRASH_VECTOR 5
	.org 0x280
	.global _splitcore_vector_debug
_splitcore_vector_debug:
	CRASH_VECTOR 3
	.org 0x2c0
	.global _splitcore_vector_nmi
_splitcore_vector_nmi:
	INTERRUPT_CRASH_VECTOR 7
	.org 0x300
	.global _splitcore_vector_kernel
_splitcore_vector_kernel:
	CRASH_VECTOR 1
	.org 0x340
	.global _splitcore_vector_user
_splitcore_vector_user:
	wsr a0, excsave1
	rsr a0, exccause
	beqi a0, 4, 1f            # EXCCAUSE 4: level-1 interrupt
	movi a0, 1
	j _splitcore_crash
1:	j _splitcore_level1_interrupt
	.org 0x3c0
	.global _splitcore_vector_double
_splitcore_vector_double:
	CRASH_VECTOR 4
	.org 0x400
	.size _splitcore_vectors, 0x400

# ------------------------------------------------------------------------------------------------
	.section .iram1.splitcore_text, "ax"

# Entry trampoline: what core 0 hands to the ROM as core 1's boot address. The ROM enters it
# with a windowed call from its own frames, on its own stack (which ESP-IDF's heap owns by then).
# No `entry` instruction: the caller's window state is discarded, not extended.
	.p2align 2
.Lvecbase:	.long _splitcore_vectors
	.p2align 2
.Lstack_bounds:	.long splitcore_stack_bounds   # [lo, hi) of the runtime's stack (Rust static)
	.p2align 2
.Lcanary:	.long STACK_CANARY
	.p2align 2
.Lps_run:	.long 0x00040020              # PS: WOE=1, UM=1, EXCM=0, INTLEVEL=0
	.p2align 2
.Lstart:	.long splitcore_rt_start
	.p2align 2
	.global splitcore_core1_entry
	.type splitcore_core1_entry, @function
splitcore_core1_entry:
	rsil a2, 15               # 1. mask interrupts (works whether EXCM is set or not)
	movi a2, 0
	wsr a2, windowbase        # 2. forget the ROM's frames: no spill can ever target its stack
	rsync
	movi a2, 1
	wsr a2, windowstart
	rsync
	l32r a2, .Lvecbase
	wsr a2, vecbase           # 3. our own vectors
	movi a2, 0
	wsr a2, intenable         # 4. no interrupt source enabled yet
	wsr a2, ccompare0         #    timers disarmed (a CCOMPARE write also clears its interrupt)
	wsr a2, ccompare1
	wsr a2, ccompare2
	movi a2, 1
	wsr a2, cpenable          # 5. FPU on: core 1 runs no OS that would switch FP state lazily
.ifdef SPLITCORE_QEMU
	movi a2, 0x15
	wsr a2, atomctl           #    QEMU sysram is bypass-mapped: S32C1I needs ATOMCTL=0x15
.endif
	rsync
	l32r a3, .Lstack_bounds   # 6. fill our stack with the canary (high-water mark, overflow check)
	l32i a4, a3, 0            #    a4 = lo
	l32i a5, a3, 4            #    a5 = hi
	l32r a6, .Lcanary
	mov a7, a4
2:	s32i a6, a7, 0
	addi a7, a7, 4
	bltu a7, a5, 2b
	addi a1, a5, -32          # 7. switch to it; the root frame's caller-SP slot
	addi a2, a1, -12          #    ([sp-12], read by WindowOverflow8/12) points at the top
	s32i a5, a2, 0
	l32r a2, .Lps_run         # 8. PS for the windowed ABI
	wsr a2, ps
	rsync
	movi a0, 0                # return address 0 ends every backtrace
	l32r a8, .Lstart
	callx8 a8                 # 9. splitcore_rt_start() -> !
3:	waiti 15
	j 3b
	.size splitcore_core1_entry, . - splitcore_core1_entry

# Crash capture: a0 = reason, the faulting a0 in EXCSAVE1. Registers go straight into the crash
# record; then, if the faulting SP is inside our stack, the live register windows are spilled to
# it so that Rust can walk the frames; otherwise the walk is skipped (fresh window on the crash
# stack).
	.p2align 2
.Lcontrol:	.long SPLITCORE_CONTROL
	.p2align 2
.Lcrashing:	.long splitcore_crashing
	.p2align 2
.Lps_crash:	.long 0x0004002f              # WOE=1, UM=1, EXCM=0, INTLEVEL=15
	.p2align 2
.Lcrash_fn:	.long splitcore_rt_crash
	.p2align 2
.Lpark_fn:	.long splitcore_park
	.p2align 2
.Lcrash_stack:	.long splitcore_crash_stack      # 1 KiB, 16-byte aligned (Rust static)
	.p2align 2
.Lstack_bounds2:	.long splitcore_stack_bounds
	.p2align 2
	.global _splitcore_crash
_splitcore_crash:
	wsr a0, excsave4          # reason (EXCSAVE4: level 4 is never dispatched, its vector crashes)
	l32r a0, .Lcontrol
	addi a0, a0, 64
	s32i a1, a0, 48
	s32i a2, a0, 52
	s32i a3, a0, 56
	s32i a4, a0, 60
	s32i a5, a0, 64
	s32i a6, a0, 68
	s32i a7, a0, 72
	s32i a8, a0, 76
	s32i a9, a0, 80
	s32i a10, a0, 84
	s32i a11, a0, 88
	s32i a12, a0, 92
	s32i a13, a0, 96
	s32i a14, a0, 100
	s32i a15, a0, 104
	mov a2, a0                # a2 = record; a3.. scratch from here on
	rsr a3, excsave1
	s32i a3, a2, 44
	rsr a4, excsave4
	s32i a4, a2, 8
	rsr a3, exccause
	s32i a3, a2, 12
	rsr a3, epc1
	rsr a5, ps
	beqi a4, 3, 2f
	bnei a4, 6, 1f
2:	rsr a3, epc6              # debug exceptions and levels 4/5/NMI: PC in EPC6, PS in EPS6
	rsr a5, eps6
1:	bnei a4, 4, 1f
	rsr a3, depc              # double exceptions: PC in DEPC
1:	s32i a3, a2, 16
	s32i a5, a2, 24
	rsr a3, excvaddr
	s32i a3, a2, 20
	rsr a3, sar
	s32i a3, a2, 28
	rsr a3, windowbase
	s32i a3, a2, 32
	rsr a3, windowstart
	s32i a3, a2, 36
	rsr a3, debugcause
	s32i a3, a2, 40
	memw
	l32r a3, .Lcrashing       # a crash while handling a crash: stop here, keep the first record
	l32i a4, a3, 0
	bnez a4, .Lpark
	movi a4, 1
	s32i a4, a3, 0
	memw
	l32r a3, .Lstack_bounds2  # walkable only if the faulting SP is inside our stack
	l32i a4, a3, 0
	l32i a5, a3, 4
	l32i a1, a2, 48  # the faulting SP: caller frames must spill relative to it
	bltu a1, a4, .Lno_walk
	bgeu a1, a5, .Lno_walk
	extui a3, a1, 0, 4        # (windowed SPs are 16-byte aligned)
	bnez a3, .Lno_walk
	addmi a3, a1, -256         # the spill below needs ~240 bytes below the SP
	bltu a3, a4, .Lno_walk
	# a4 and a5 were scratch with EXCM=1 (no window check): when the faulting frame never used
	# them they are still an older live frame's a0/a1 (e.g. the frame an interrupt interrupted),
	# not yet spilled. Put them back before that frame is spilled.
	l32i a4, a2, 60
	l32i a5, a2, 64
	l32r a3, .Lps_crash
	wsr a3, ps
	rsync
	call4 .Lspill_windows     # all live frames of the faulting context go to the stack
	l32r a6, .Lcontrol
	addi a6, a6, 64
	movi a7, 1                # walk = true
	l32r a4, .Lcrash_fn
	callx4 a4                 # splitcore_rt_crash(record, walk) -> !
	j .Lpark
.Lno_walk:
	movi a3, 0                # fresh window state on the crash stack (a WINDOWBASE write renames
	wsr a3, windowbase        # a0..a15: everything is reloaded afterwards)
	rsync
	movi a3, 1
	wsr a3, windowstart
	rsync
	l32r a5, .Lcrash_stack
	addmi a5, a5, 1024        # its top
	addi a1, a5, -32
	addi a3, a1, -12
	s32i a5, a3, 0
	l32r a3, .Lps_crash
	wsr a3, ps
	rsync
	movi a0, 0
	l32r a6, .Lcontrol
	addi a6, a6, 64
	movi a7, 0                # walk = false
	l32r a4, .Lcrash_fn
	callx4 a4
.Lpark:
	l32r a4, .Lpark_fn
	callx4 a4                 # splitcore_park() -> !

	# call4 + four call12: 13 window quads, more than the 8 physical ones, so every live frame of
	# the caller chain is written to its save area on the stack. Every frame here makes call12
	# calls, so each needs 48 bytes: 16 for its caller's base save area plus its own 32-byte
	# extra save area (with 32, spilling this frame would overwrite the faulting frame's a0..a3).
	.p2align 2
.Lspill_windows:
	entry a1, 48
	call12 1f
	retw
	.p2align 2
1:	entry a1, 48
	call12 2f
	retw
	.p2align 2
2:	entry a1, 48
	call12 3f
	retw
	.p2align 2
3:	entry a1, 48
	call12 4f
	retw
	.p2align 2
4:	entry a1, 48
	retw

# Interrupts at levels 1..3 (EXCM_LEVEL is 3 on the ESP32-S3 and on QEMU's de233_fpu: PS.EXCM
# masks them all, so none can arrive inside a window exception handler or another vector's
# prologue/epilogue). The interrupted frame's registers a2..a15 (plus SAR and the loop registers,
# and for level 1 EPC1 and PS) go to a save area below its SP, [sp - 128, sp - 40): the 16 bytes
# right below the SP hold the interrupted function's caller's a0..a3 once that caller is spilled,
# the 16 below those the frame function's own a4..a7 (its extra save area, as a `callx8` caller).
# a1 is never changed (the window overflow of an older frame computes its save address from this
# frame's a1), and a0 is restored from EXCSAVEn before the call, so the frames below see an
# ordinary caller (window spills and crash backtraces walk through the interrupt). The frame is
# claimed by a `call4` to a frame function whose `entry a1, 128` allocates it, so that the Rust
# dispatcher's frames go below it.
#
# Nesting: the vector sets PS to EXCM=0 (window exceptions work again) with INTLEVEL=3 before the
# `call4`; only after its `entry` does the frame function lower INTLEVEL to the interrupt's own
# level n (a higher level can then preempt the dispatcher), and it raises it to 3 again before
# `retw`. So a nested interrupt never finds this save area at the same SP, and the epilogue runs
# with every dispatched level masked. Level n's EPCn/EPSn are left in their registers: only a
# higher level can nest, and that uses its own. Level 1 saves EPC1 (window exceptions reuse it)
# and PS. The dispatcher gets INTERRUPT & INTENABLE & (the level's mask, from the Rust table
# `splitcore_rt_level_masks`). Floating-point registers are not saved: interrupt handlers must
# not use the FPU.
	.p2align 2
.Lps_nest:	.long 0x00040023              # WOE=1, UM=1, EXCM=0, INTLEVEL=3
	.p2align 2
.Llevel_masks:	.long splitcore_rt_level_masks  # [u32; 4], indexed by level

	.macro SAVE_INTERRUPTED
	addi a0, a1, -128
	s32i a2, a0, 8
	s32i a3, a0, 12
	s32i a4, a0, 16
	s32i a5, a0, 20
	s32i a6, a0, 24
	s32i a7, a0, 28
	s32i a8, a0, 32
	s32i a9, a0, 36
	s32i a10, a0, 40
	s32i a11, a0, 44
	s32i a12, a0, 48
	s32i a13, a0, 52
	s32i a14, a0, 56
	s32i a15, a0, 60
	.endm

	.macro SAVE_SAR_LOOP
	rsr a2, sar
	s32i a2, a0, 72
	rsr a2, lbeg
	s32i a2, a0, 76
	rsr a2, lend
	s32i a2, a0, 80
	rsr a2, lcount
	s32i a2, a0, 84
	movi a2, 0
	wsr a2, lcount            # no zero-overhead loop active in the handler
	.endm

	# a6 = INTERRUPT & INTENABLE & splitcore_rt_level_masks[level]; PS for the call; a0 back.
	.macro DISPATCH level
	rsr a0, excsave\level        # the interrupted a0 back in the window (done with it as the base)
	rsr a6, interrupt
	rsr a2, intenable
	and a6, a6, a2
	l32r a2, .Llevel_masks
	l32i a2, a2, 4 * \level
	and a6, a6, a2
	l32r a2, .Lps_nest
	wsr a2, ps
	rsync
	call4 _splitcore_irq_frame\level
	.endm

	.macro RESTORE_INTERRUPTED     # base in a2 (restored last)
	l32i a3, a2, 72
	wsr a3, sar
	l32i a3, a2, 76
	wsr a3, lbeg
	l32i a3, a2, 80
	wsr a3, lend
	l32i a3, a2, 84
	wsr a3, lcount
	rsync
	l32i a3, a2, 12
	l32i a4, a2, 16
	l32i a5, a2, 20
	l32i a6, a2, 24
	l32i a7, a2, 28
	l32i a8, a2, 32
	l32i a9, a2, 36
	l32i a10, a2, 40
	l32i a11, a2, 44
	l32i a12, a2, 48
	l32i a13, a2, 52
	l32i a14, a2, 56
	l32i a15, a2, 60
	l32i a2, a2, 8
	.endm

	.p2align 2
	.global _splitcore_level1_interrupt
_splitcore_level1_interrupt:      # original a0 in EXCSAVE1; PS.EXCM=1
	SAVE_INTERRUPTED
	rsr a2, epc1
	s32i a2, a0, 64
	rsr a2, ps
	s32i a2, a0, 68
	SAVE_SAR_LOOP
	DISPATCH 1
	addi a2, a1, -128
	l32i a3, a2, 68
	wsr a3, ps                # EXCM=1 again: EPC1 is ours until rfe
	l32i a3, a2, 64
	wsr a3, epc1
	RESTORE_INTERRUPTED
	rfe

	# Levels 2 and 3 return with `rfi n` from EPCn/EPSn, which need no saving (unlike level 1's
	# EPC1 and PS): only a level-n interrupt writes them, the handler runs at INTLEVEL >= n, and
	# the window exceptions its calls raise use EPC1.
	.macro MEDIUM_INTERRUPT level
	.p2align 2
	.global _splitcore_level\level\()_interrupt
_splitcore_level\level\()_interrupt:  # original a0 in EXCSAVEn; PS.EXCM=1, INTLEVEL=n
	SAVE_INTERRUPTED
	SAVE_SAR_LOOP
	DISPATCH \level
	addi a2, a1, -128
	RESTORE_INTERRUPTED
	rfi \level
	.endm

	MEDIUM_INTERRUPT 2
	MEDIUM_INTERRUPT 3

	.p2align 2
.Ldispatch:	.long splitcore_rt_interrupt

	# (pending): owns the save area, runs the Rust dispatcher at INTLEVEL = level.
	.macro IRQ_FRAME level
	.p2align 2
_splitcore_irq_frame\level:       # (local: a `call4` to a global draws "dangerous relocation")
	entry a1, 128
	.if \level < 3
	rsil a3, \level
	.endif
	mov a10, a2
	l32r a8, .Ldispatch
	callx8 a8                 # splitcore_rt_interrupt(pending)
	.if \level < 3
	rsil a2, 3
	.endif
	retw
	.endm

	IRQ_FRAME 1
	IRQ_FRAME 2
	IRQ_FRAME 3

# ------------------------------------------------------------------------------------------------
# Special-register access for Rust (inline assembly is not available on Xtensa with this rustc).
	.macro FN name
	.section .iram1.splitcore_fn.\name, "ax"
	.p2align 2
	.global \name
	.type \name, @function
\name:
	entry a1, 32
	.endm

	FN splitcore_prid
	rsr a2, prid
	retw
	FN splitcore_ccount
	rsr a2, ccount
	retw
	FN splitcore_sp
	mov a2, a1
	retw
	FN splitcore_intenable_modify     # (set, clear) -> previous INTENABLE
	rsil a4, 15
	rsr a5, intenable
	or a6, a5, a2
	movi a7, -1
	xor a7, a3, a7
	and a6, a6, a7
	wsr a6, intenable
	wsr a4, ps
	rsync
	mov a2, a5
	retw
	FN splitcore_ps
	rsr a2, ps
	retw
	FN splitcore_intset               # (mask): raise software interrupts
	wsr a2, intset
	rsync
	retw
	FN splitcore_intclear             # (mask): clear software and edge-triggered interrupts
	wsr a2, intclear
	rsync
	retw
	FN splitcore_set_ccompare1        # (at): arm timer 1; the write also clears its interrupt
	wsr a2, ccompare1
	esync
	retw
	FN splitcore_lowest_bit           # (bits != 0) -> index of the lowest set bit (NSAU: LLVM 22
	neg a3, a2                        # expands trailing_zeros into ~24 instructions)
	and a3, a3, a2
	nsau a3, a3                       # 31 - index
	movi a2, 31
	sub a2, a2, a3
	retw
	FN splitcore_raise_panic          # the panic path enters the crash capture through SYSCALL
	syscall
	retw
	FN splitcore_park                 # stop this core for good (core 0 resets it to restart)
	rsil a2, 15
.ifdef SPLITCORE_QEMU
	# The emulator cannot reset one core: the board's stand-in for "core 0 resets core 1" is a
	# request word; on it, start over from the board's reset code (and so the ROM stand-in).
	j 2f
	.p2align 2
.Lreset_req:	.long board_core1_reset_request
.Lboard_start:	.long _board_start
2:	l32r a3, .Lreset_req
1:	memw
	l32i a4, a3, 0
	beqz a4, 1b
	movi a4, 0
	s32i a4, a3, 0
	memw
	l32r a3, .Lboard_start
	jx a3
.else
1:	waiti 15
	j 1b
.endif
	FN splitcore_waiti0               # sleep until an interrupt
	waiti 0
	retw
	FN splitcore_set_ccompare0        # (at): arm timer 0; the write also clears its interrupt
	wsr a2, ccompare0
	esync
	retw
	FN splitcore_sleep_until          # (deadline) -> 1 if it slept: WAITI unless CCOUNT passed
	rsil a3, 15                       # mask first: an interrupt between the check and WAITI
	rsr a4, ccount                    # stays pending and ends the WAITI at once
	sub a4, a2, a4                    # deadline - now, as a signed distance
	movi a5, 0
	blti a4, 1, 1f                    # already reached: do not sleep
	waiti 0                           # INTLEVEL 0 and sleep; the handler runs, then we resume
	movi a5, 1
1:	wsr a3, ps
	rsync
	mov a2, a5
	retw
.ifdef SPLITCORE_QEMU
	FN splitcore_qemu_er_write        # (address, value): WER, the xtfpga MX interrupt distributor
	.byte 0x30, 0x72, 0x40            # wer a3, a2
	retw
.endif
	FN splitcore_trigger_illegal      # for tests: IllegalInstruction
	ill
	retw
	FN splitcore_trigger_load         # (addr): load from addr, for tests
	l32i a2, a2, 0
	retw
	FN splitcore_trigger_div0         # (x, y): quou, IntegerDivideByZero when y == 0
	quou a2, a2, a3
	retw
	FN splitcore_trigger_break        # for tests: BREAK -> debug exception
	break 1, 15
	retw
	FN splitcore_trigger_level5       # (INTENABLE bit of CCOMPARE2) for tests: its level-5
	rsil a5, 15                       # interrupt (never dispatched: a crash) arrives while
	movi a4, 1                        # this core spins at `splitcore_level5_spin`, 2^22
	slli a4, a4, 22                   # cycles (105 ms) on: QEMU's CCOUNT follows host time,
	rsr a3, ccount                    # and a host stall longer than the margin would miss it
	add a3, a3, a4
	wsr a3, ccompare2
	rsr a4, intenable
	or a4, a4, a2
	wsr a4, intenable
	wsr a5, ps
	rsync
	.global splitcore_level5_spin
splitcore_level5_spin:
	j splitcore_level5_spin
	FN splitcore_register_check       # (rounds, value) -> 0, or the rounds left when one of
	mov a4, a3
	mov a5, a3
	mov a6, a3
	mov a7, a3
	mov a8, a3
	mov a9, a3
	mov a10, a3
	mov a11, a3
	mov a12, a3
	mov a13, a3
	mov a14, a3
	mov a15, a3   # a4..a15 (all = value) changed: for tests
1:	bne a3, a4, 2f
	bne a3, a5, 2f
	bne a3, a6, 2f
	bne a3, a7, 2f
	bne a3, a8, 2f
	bne a3, a9, 2f
	bne a3, a10, 2f
	bne a3, a11, 2f
	bne a3, a12, 2f
	bne a3, a13, 2f
	bne a3, a14, 2f
	bne a3, a15, 2f
	addi a2, a2, -1
	bnez a2, 1b
2:	retw
	FN splitcore_loop_checksum        # (n, seed) -> checksum: for tests, n rounds of a
	mov a4, a3                        # zero-overhead loop (an interrupt path that loses
	ssai 7                            # LBEG/LEND/LCOUNT or SAR changes the result)
	loopnez a2, 1f
	src a5, a4, a4                    # rotate right by 7 (SAR)
	addx4 a4, a5, a4
	addi a4, a4, 0x3b
1:	mov a2, a4
	retw
