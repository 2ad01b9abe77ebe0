"""The applicant's case pages (办件): apply online step by step, 我的办件, a case with its
timeline and documents, correct and resubmit, withdraw, and the public progress query.

Pages only: every write is an action of `wangban.cases.actions`, every access decision is
`wangban.cases.access` (docs/portal-cases.md)."""
