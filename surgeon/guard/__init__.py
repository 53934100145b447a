"""The edit guard: surgeon's rules applied to edits another agent writes itself (Claude Code's
Edit, MultiEdit and Write tools, through a PreToolUse hook). hook_input.py reads what the agent
sends and works out the file it would leave; rules.py judges that file; settings.py installs the
hook into a project's .claude/settings.json."""
