"""Audio analysis and audio-to-motion models. No bpy: everything here runs and is tested without Blender."""
