"""vaultsync: keeps Readwise pages in Logseq graphs and Obsidian vaults clean."""

__version__ = "0.1.0"
