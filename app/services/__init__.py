"""One function per use case; the only code that changes state. Services own the commit."""
