"""Editable takes, without Blender: key poses instead of bakes (key_poses.py, over Blender's Bezier segments in
bezier.py), the phone/word track a face take keeps and its edits (phone_track.py), mouth style (mouth_style.py)."""
