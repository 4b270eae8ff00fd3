"""The command line: a root app with the error boundary and one small module per noun."""
