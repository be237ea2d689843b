"""Speech → co-speech gesture: prosody and words plan gesture units and strokes; shapes, arm IK and body motion
turn the plan into a MotionClip on the SMPL-X skeleton. Entry point: pipeline.generate_gestures."""
