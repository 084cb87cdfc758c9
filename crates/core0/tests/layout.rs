//! The core-0 log layout must be the runtime's (firmware/runtime/src/log.rs is built in another
//! workspace for Xtensa only, so the source text is compared).

#[test]
fn log_layout_matches_the_runtime() {
    let runtime = include_str!("../../../firmware/runtime/src/log.rs");
    assert!(
        runtime
            .contains(r#"pub const LOG_LAYOUT: Layout = LayoutBuilder::new().frames("log", 4096).build();"#),
        "the runtime's LOG_LAYOUT changed: update splitcore_core0::LOG_LAYOUT"
    );
    assert!(runtime.contains(r#"pub const LOG: ChannelId<Frames> = LOG_LAYOUT.frames_id("log");"#));
    let lib = include_str!("../src/lib.rs");
    assert!(
        lib.contains(r#"pub const LOG_LAYOUT: Layout = LayoutBuilder::new().frames("log", 4096).build();"#)
    );
}
