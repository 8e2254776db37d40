"""One module per subcommand: ``add_parser(subparsers)`` and ``run(args) -> int``.

Keep top-level imports to the standard library: the parser is built on every start.
"""
