"""Where lexicons come from: pinned sets pulled from registry packages (``sets``) and
published lexicons resolved by NSID over the network (``resolve``), installed with their
references (``install``) into a lock file (``lock``) that pins each document's CID (``cid``).

The generator reads the folders this fills; nothing here imports the generator's renderer.
"""
