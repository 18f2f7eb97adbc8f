"""`cycle agenda`, `cycle minutes` and `cycle mail` keep their command names, arguments and flags: people's scripts
call them. Each option is described in `--help`."""

from __future__ import annotations

import click
from click.testing import CliRunner

from web.cli import main

# Each command's arguments and options, in order: an option as its flag, with '!' when it is required.
COMMANDS = {
    "agenda add": "BOARD MEETING --title! --purpose --author --exempt --description --reissue --as!",
    "agenda issue": "BOARD MEETING --as!",
    "agenda move": "BOARD MEETING ITEM --to --up --down --reissue --as!",
    "agenda pack": "BOARD MEETING --out! --private --as!",
    "agenda show": "BOARD MEETING --as --json",
    "agenda withdraw": "BOARD MEETING ITEM --reason! --reissue --as!",
    "minutes approve": "BOARD MEETING --at! --as!",
    "minutes draft": "BOARD MEETING --as!",
    "minutes edit": "BOARD MEETING --file! --as!",
    "minutes save": "BOARD MEETING --out! --format --as!",
    "minutes show": "BOARD MEETING --as! --json",
    "mail list": "[CYCLE] --status --as --json",
    "mail retry": "MAIL_ID --as!",
    "mail show": "MAIL_ID --as --json",
}


def signature(command: click.Command) -> str:
    shown = []
    for param in command.params:
        if isinstance(param, click.Argument):
            name = (param.metavar or param.name or "").upper()
            shown.append(name if param.required else f"[{name}]")
        else:
            shown.append(param.opts[0] + ("!" if param.required else ""))
    return " ".join(shown)


def test_the_commands_keep_their_names_arguments_and_flags() -> None:
    found = {f"{group} {name}": signature(command)
             for group in ("agenda", "minutes", "mail")
             for name, command in main.commands[group].commands.items()}  # type: ignore[attr-defined]
    assert found == COMMANDS


def test_help_describes_every_option() -> None:
    for line in COMMANDS:
        group, name = line.split()
        command = main.commands[group].commands[name]  # type: ignore[attr-defined]
        shown = CliRunner().invoke(main, [group, name, "--help"])
        assert shown.exit_code == 0, shown.output
        words = " ".join(shown.output.split())
        for option in (p for p in command.params if isinstance(p, click.Option)):
            assert option.help, f"cycle {line}: {option.opts[0]} has no help"
            assert " ".join(option.help.split()) in words, f"cycle {line} --help does not describe {option.opts[0]}"
