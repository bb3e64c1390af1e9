"""click commands only: options → config → run → exit code. No protocol logic lives here."""
