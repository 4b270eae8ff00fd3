from abs_cli.cli.app import main

main()
