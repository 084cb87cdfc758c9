//! A small Xtensa (LX6/LX7 core + density option) instruction decoder: just enough to find
//! instruction lengths, control flow, calls, `L32R` literal loads, `ENTRY` frame sizes and which
//! address register an instruction may write.
//!
//! Encoding (little-endian, 24-bit): `op0` = bits 0..3, `t` = 4..7, `s` = 8..11, `r` = 12..15,
//! `op1` = 16..19, `op2` = 20..23. `op0` 8..=13 are the 16-bit density instructions.

/// What an instruction does to control flow (and the few data effects the analysis needs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Falls through to the next instruction.
    Plain,
    /// `ENTRY as, imm`: allocates `frame` bytes.
    Entry {
        /// Bytes subtracted from the stack pointer.
        frame: u32,
    },
    /// `CALL0/4/8/12`: `target` is pc-relative (used when the site has no relocation).
    Call {
        /// Window increment in registers (0, 4, 8, 12).
        inc: u8,
        /// Section offset of the callee as encoded.
        target: i64,
    },
    /// `CALLX0/4/8/12 aR`.
    CallX {
        /// Window increment in registers.
        inc: u8,
        /// Register holding the target.
        reg: u8,
    },
    /// `J label`.
    Jump {
        /// Encoded target.
        target: i64,
    },
    /// `JX aR`.
    JumpX {
        /// Register holding the target.
        reg: u8,
    },
    /// Conditional branch (falls through or goes to `target`).
    Branch {
        /// Encoded target.
        target: i64,
    },
    /// `LOOP*`: falls through into the body; `end` is the first instruction after it.
    Loop {
        /// Loop end.
        end: i64,
    },
    /// `L32R aT, literal`: `literal` is the encoded (pc-relative) literal address.
    L32r {
        /// Destination register.
        reg: u8,
        /// Encoded literal address.
        literal: i64,
    },
    /// `RET`, `RETW` (and `.N`): returns to the caller.
    Return,
    /// `RFE`, `RFI`, `RFWO`, `RFWU`, `ILL`, ...: no successor, and no return to a caller.
    Stop,
    /// `MOVSP` or another write of `a1` outside `ENTRY`: a dynamic stack adjustment.
    StackWrite,
}

/// One decoded instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// 2 or 3 bytes.
    pub len: u8,
    /// Control-flow class.
    pub kind: Kind,
    /// Bit n set: address register `a<n>` may be written.
    pub writes: u16,
    /// A 32-bit load or store (`L32I`, `S32I` and `.N` forms, and narrower stores as
    /// `Store { width < 4 }`), for tracking values spilled to the stack frame.
    pub mem: Option<Mem>,
}

/// A memory access `[a<base> + offset]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mem {
    /// Load (true) or store.
    pub load: bool,
    /// Loaded/stored register.
    pub reg: u8,
    /// Base register.
    pub base: u8,
    /// Byte offset.
    pub offset: u32,
    /// Access width in bytes.
    pub width: u8,
}

fn sext(value: u32, bits: u32) -> i64 {
    let shift = 32 - bits;
    (((value << shift) as i32) >> shift) as i64
}

/// Decodes the instruction at `bytes[0..]`, located at section offset `pc`. `None`: not a
/// core instruction this decoder knows (or too few bytes).
pub fn decode(bytes: &[u8], pc: u64) -> Option<Insn> {
    let b0 = *bytes.first()? as u32;
    let op0 = b0 & 0xf;
    let pc = pc as i64;
    if (8..=13).contains(&op0) {
        let b1 = *bytes.get(1)? as u32;
        let t = (b0 >> 4) as u8;
        let s = (b1 & 0xf) as u8;
        let r = (b1 >> 4) as u8;
        let mut insn = Insn { len: 2, kind: Kind::Plain, writes: 0, mem: None };
        match op0 {
            8 => {
                insn.writes = 1 << t; // L32I.N
                insn.mem = Some(Mem { load: true, reg: t, base: s, offset: r as u32 * 4, width: 4 });
            }
            9 => insn.mem = Some(Mem { load: false, reg: t, base: s, offset: r as u32 * 4, width: 4 }), // S32I.N
            0xa | 0xb => insn.writes = 1 << r, // ADD.N, ADDI.N
            0xc => {
                if t & 8 == 0 {
                    insn.writes = 1 << s; // MOVI.N
                } else {
                    // BEQZ.N / BNEZ.N: unsigned 6-bit offset.
                    let imm6 = (((t & 3) as i64) << 4) | r as i64;
                    insn.kind = Kind::Branch { target: pc + 4 + imm6 };
                }
            }
            _ => {
                // 0xd: MOV.N (r = 0) or the r = 15 group.
                if r == 0 {
                    insn.writes = 1 << t;
                } else if r == 15 {
                    match t {
                        0 | 1 => insn.kind = Kind::Return, // RET.N, RETW.N
                        2 | 3 => {}                        // BREAK.N, NOP.N
                        6 => insn.kind = Kind::Stop,       // ILL.N
                        _ => return None,
                    }
                } else {
                    return None;
                }
            }
        }
        if insn.writes & 2 != 0 {
            insn.kind = Kind::StackWrite;
        }
        return Some(insn);
    }
    if bytes.len() < 3 {
        return None;
    }
    let word = b0 | (bytes[1] as u32) << 8 | (bytes[2] as u32) << 16;
    let t = ((word >> 4) & 0xf) as u8;
    let s = ((word >> 8) & 0xf) as u8;
    let r = ((word >> 12) & 0xf) as u8;
    let op1 = (word >> 16) & 0xf;
    let op2 = (word >> 20) & 0xf;
    let n = t & 3;
    let m = t >> 2;
    let mut insn = Insn { len: 3, kind: Kind::Plain, writes: 0, mem: None };
    match op0 {
        0 => {
            if op1 == 0 && op2 == 0 {
                match r {
                    0 => match (m, n) {
                        (0, 0) => insn.kind = Kind::Stop,            // ILL
                        (2, 0) | (2, 1) => insn.kind = Kind::Return, // RET, RETW
                        (2, 2) => insn.kind = Kind::JumpX { reg: s },
                        (3, n) => insn.kind = Kind::CallX { inc: n * 4, reg: s },
                        _ => return None,
                    },
                    1 => {
                        insn.writes = 1 << t; // MOVSP at, as
                    }
                    2 => {}                      // ISYNC, RSYNC, ESYNC, DSYNC, EXCW, MEMW, EXTW, NOP
                    3 => insn.kind = Kind::Stop, // RFE, RFUE, RFDE, RFWO, RFWU, RFI
                    4 | 5 | 7 => {}              // BREAK, SYSCALL, WAITI
                    6 => insn.writes = 1 << t,   // RSIL
                    _ => insn.writes = 1 << t,
                }
            } else {
                insn.writes = rrr_writes(op1, op2, r, s, t);
            }
        }
        1 => {
            let imm16 = (word >> 8) & 0xffff;
            // L32R: literal = ((pc + 3) & ~3) + (sign-extended-with-ones imm16 << 2).
            let offset = ((imm16 | 0xffff_0000) as i32 as i64) << 2;
            insn.kind = Kind::L32r { reg: t, literal: ((pc + 3) & !3) + offset };
            insn.writes = 1 << t;
        }
        2 => {
            let imm8 = (word >> 16) & 0xff;
            match r {
                2 => insn.mem = Some(Mem { load: true, reg: t, base: s, offset: imm8 * 4, width: 4 }),
                4 => insn.mem = Some(Mem { load: false, reg: t, base: s, offset: imm8, width: 1 }),
                5 => insn.mem = Some(Mem { load: false, reg: t, base: s, offset: imm8 * 2, width: 2 }),
                6 | 0xe | 0xf => {
                    insn.mem = Some(Mem { load: false, reg: t, base: s, offset: imm8 * 4, width: 4 })
                }
                _ => {}
            }
            match r {
                0 | 1 | 2 | 9 | 0xa | 0xb | 0xc | 0xd | 0xe => insn.writes = 1 << t,
                4 | 5 | 6 | 7 | 0xf => {}
                _ => return None,
            }
        }
        // LSCI (FP loads/stores): only the update forms LSIU (r = 8) and SSIU (r = 12) write
        // the base register; LSI (0) and SSI (4) address `as + imm8 * 4` and write no AR.
        3 => match r {
            0 | 4 => {}
            _ => insn.writes = 1 << s,
        },
        4 => insn.writes = 1 << s, // MAC16 with update
        5 => {
            let offset = sext(word >> 6, 18) << 2;
            insn.kind = Kind::Call { inc: n * 4, target: (pc & !3) + offset + 4 };
        }
        6 => match n {
            0 => insn.kind = Kind::Jump { target: pc + 4 + sext(word >> 6, 18) },
            1 => insn.kind = Kind::Branch { target: pc + 4 + sext(word >> 12, 12) },
            2 => insn.kind = Kind::Branch { target: pc + 4 + sext(word >> 16, 8) },
            _ => match m {
                0 => insn.kind = Kind::Entry { frame: (word >> 12) * 8 },
                1 => match r {
                    0 | 1 => insn.kind = Kind::Branch { target: pc + 4 + sext(word >> 16, 8) },
                    8..=10 => insn.kind = Kind::Loop { end: pc + 4 + ((word >> 16) & 0xff) as i64 },
                    _ => return None,
                },
                _ => insn.kind = Kind::Branch { target: pc + 4 + sext(word >> 16, 8) },
            },
        },
        7 => insn.kind = Kind::Branch { target: pc + 4 + sext(word >> 16, 8) },
        _ => return None,
    }
    if insn.writes & 2 != 0 && insn.kind == Kind::Plain {
        insn.kind = Kind::StackWrite;
    }
    Some(insn)
}

/// Address registers an `op0 = 0` (QRST) instruction outside ST0 may write.
fn rrr_writes(op1: u32, op2: u32, r: u8, s: u8, t: u8) -> u16 {
    match (op1, op2) {
        (0, 4) if r >= 14 => 1 << t,      // NSA, NSAU
        (0, 4) => 0,                      // SSR, SSL, SSA8B/L, SSAI, RER/WER-like
        (0, 5) => 1 << t,                 // TLB reads
        (1, 6) | (1, 0xf) => 1 << t,      // XSR, RER
        (3, 0) => 1 << t,                 // RSR
        (3, 1) | (3, 0xf) => 0,           // WSR, WUR
        (8, _) => 1 << s,                 // LSX/SSX update forms write the base
        (9, 0) => 1 << t,                 // L32E
        (9, _) => 0,                      // S32E
        (op1, _) if op1 <= 0xb => 1 << r, // ALU, shifts, multiplies, MIN/MAX, MOV*, RUR, FP→AR
        _ => (1 << r) | (1 << t),
    }
}

/// Encodes `ENTRY a1, frame` (for tests and fixtures). `frame` must be a multiple of 8 below 32768.
pub fn encode_entry(frame: u32) -> [u8; 3] {
    let word = 0x36 | (1 << 8) | ((frame / 8) << 12);
    [word as u8, (word >> 8) as u8, (word >> 16) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_real_encodings() {
        // Bytes from llvm-objdump-22 of the real archive.
        assert_eq!(decode(&[0x36, 0x61, 0x00], 0).unwrap().kind, Kind::Entry { frame: 48 });
        assert_eq!(decode(&[0x36, 0x41, 0x00], 0).unwrap().kind, Kind::Entry { frame: 32 });
        assert_eq!(encode_entry(48), [0x36, 0x61, 0x00]);
        assert_eq!(encode_entry(32760), [0x36, 0xf1, 0xff]);
        // l32r a8, 0x18 at 0x1b
        assert_eq!(decode(&[0x81, 0xff, 0xff], 0x1b).unwrap().kind, Kind::L32r { reg: 8, literal: 0x18 });
        // l32r a2, 0x0 at 0x29 (core1.o)
        assert_eq!(decode(&[0x21, 0xf5, 0xff], 0x29).unwrap().kind, Kind::L32r { reg: 2, literal: 0 });
        assert_eq!(decode(&[0xe0, 0x08, 0x00], 0).unwrap().kind, Kind::CallX { inc: 8, reg: 8 });
        assert_eq!(decode(&[0xa0, 0x08, 0x00], 0).unwrap().kind, Kind::JumpX { reg: 8 });
        assert_eq!(decode(&[0x1d, 0xf0], 0).unwrap().kind, Kind::Return);
        // bgeu a9, a10, 0x45 at 0x12
        assert_eq!(decode(&[0xa7, 0xb9, 0x2f], 0x12).unwrap().kind, Kind::Branch { target: 0x45 });
        // j 0x48 at 0x42
        assert_eq!(decode(&[0x86, 0x00, 0x00], 0x42).unwrap().kind, Kind::Jump { target: 0x48 });
        // beqz a8, 0xd8 at 0x4b
        assert_eq!(decode(&[0x16, 0x98, 0x08], 0x4b).unwrap().kind, Kind::Branch { target: 0xd8 });
        // bltu a7, a5, 0x56 at 0x5c (backwards)
        assert_eq!(decode(&[0x57, 0x37, 0xf6], 0x5c).unwrap().kind, Kind::Branch { target: 0x56 });
        // addi a1, a5, -32: writes SP
        assert_eq!(decode(&[0x12, 0xc5, 0xe0], 0).unwrap().kind, Kind::StackWrite);
        // or a10, a7, a7 writes a10 only; or a10, a1, a1 (address of a local) is no SP write
        assert_eq!(decode(&[0x70, 0xa7, 0x20], 0).unwrap().writes, 1 << 10);
        assert_eq!(decode(&[0x10, 0xa1, 0x20], 0).unwrap().kind, Kind::Plain);
        // ssi f14, a1, 96 / lsi f8, a1, 8 (spill/reload of an FP register in the frame): no AR
        // written, no stack adjustment; ssiu f14, a1, 96 / lsiu f8, a1, 8 update a1.
        assert_eq!(
            decode(&[0xe3, 0x41, 0x18], 0).unwrap(),
            Insn { len: 3, kind: Kind::Plain, writes: 0, mem: None }
        );
        assert_eq!(decode(&[0x83, 0x01, 0x02], 0).unwrap().writes, 0);
        assert_eq!(decode(&[0xe3, 0xc1, 0x18], 0).unwrap().kind, Kind::StackWrite);
        assert_eq!(decode(&[0x83, 0x81, 0x02], 0).unwrap().kind, Kind::StackWrite);
        // rsr a2, prid / wsr a2, ps
        assert_eq!(decode(&[0x20, 0xeb, 0x03], 0).unwrap().writes, 1 << 2);
        assert_eq!(decode(&[0x20, 0xe6, 0x13], 0).unwrap().writes, 0);
    }
}
