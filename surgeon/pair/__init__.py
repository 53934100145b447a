"""`surgeon pair`: an interactive session, one reviewed diff per turn. Import from the module
that defines a name; imports point down this list, none back:

- session.py       the session state (Session, Turn, Totals) and its JSON form (pure)
- conversation.py  the conversation the model sees: recent turns verbatim, older ones summarised (pure)
- commands.py      what the person types: slash commands, the verdict on a proposal, pinned paths (pure)
- diffview.py      a proposed diff as numbered rows with the changed words marked (pure)
- completion.py    what Tab offers: slash commands, repository files for /add, session files for /drop
- store.py         .git/surgeon/: session files, running markers, the layout of a session's folder
- branch.py        the session branch (SessionGit), the --no-apply private worktree, ending a session
- apply.py         what a verdict does: accept, undo, the throwaway commit a `t` check runs on
- controller.py    PairController: one session driven through the PairUI protocol
- start.py         starting or resuming a session and wiring the controller to the edit loop and gate
- listing.py       session branches in `surgeon branches`, `show`, `accept` and `discard`

The terminal UI is surgeon/cli/pair.py.
"""
