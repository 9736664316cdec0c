"""Subcommands of `mvsim`, one module each, discovered by sim.cli.

A command module defines:
    HELP: str                                   one-line help
    add_arguments(parser: argparse.ArgumentParser) -> None
    run(args: argparse.Namespace) -> int        exit code (raise ScenarioError/InputError on bad input)
The subcommand name is the module name with underscores as dashes. Commands stay
thin: they parse arguments, call a library function and print.
"""
