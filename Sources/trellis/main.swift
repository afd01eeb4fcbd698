import TrellisCLI

await TrellisCommand.launch()
