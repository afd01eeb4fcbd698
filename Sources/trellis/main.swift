import TrellisCLI

TrellisCommand.launch()
