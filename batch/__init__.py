"""Studio scale on the command line: `soundmotion batch` (many lines, one report, resumable) and
`soundmotion render` (a take's frames rendered in chunks by Ray workers, joined with ffmpeg).

Nothing here imports bpy at import time: Blender work runs inside worker processes through operators/, and
Ray is imported only when `--ray` asks for it. The add-on never imports this package inside Blender.
"""
