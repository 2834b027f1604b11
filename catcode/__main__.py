from catcode.cli import console_main

console_main()
