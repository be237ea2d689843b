"""Speech → co-speech gesture: prosody and words plan gesture units and strokes; posture shifts, rest poses and
steps fill the time around them; shapes, arm IK and body motion turn the plan into a MotionClip on the SMPL-X
skeleton. Entry point: pipeline.generate_gestures."""
