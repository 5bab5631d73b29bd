from linter.cli import main

main(prog_name="seawall")
