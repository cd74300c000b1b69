"""One pass over a vault, in layers: report (what a pass is asked and found), classify and
store (bytes, the walk, the state cache), index (names and references), clean (one page),
authors (author pages), session (orchestration). See docs/architecture.md."""
