"""The move vocabulary: dance moves as key poses on beats plus foot steps, and the styles that pick them.

Every move is a bar (or two) of key poses, one per beat; the body passes between keys with an ease that stops
exactly on the beat, so the dance's pauses (its kinematic beats) land on the music's beats. Steps land on beats.
Coordinates: metres and degrees; x = the dancer's left, y = backwards (the dancer faces -y), as the skeleton.
"""

from dataclasses import dataclass, field, replace

# Channel -> neutral value. Lengths in metres, angles in degrees.
NEUTRAL = {
    "drop": 0.0,        # pelvis lowered by bending the knees
    "sway": 0.0,        # weight over the left (-1) … right (+1) foot
    "hip_roll": 0.0,    # pelvis side tilt, + lifts the right hip
    "hip_tilt": 0.0,    # pelvis tucked forward (+) or arched back (-)
    "twist": 0.0,       # torso turned left (+) against the hips
    "lean": 0.0,        # torso leaning forward
    "chest": 0.0,       # upper chest forward, lagging the lean in a body roll
    "side": 0.0,        # torso bent towards its left side
    "nod": 0.0,         # head forward
    "tilt": 0.0,        # head tilted towards its left shoulder
    "look": 0.0,        # head turned to its left
    "l_el": -72.0, "l_az": 8.0, "l_elbow": 20.0,    # arm elevation (-90 down … 90 up), azimuth (0 out … 90 front)
    "r_el": -72.0, "r_az": 8.0, "r_elbow": 20.0,
}
CHANNELS = tuple(NEUTRAL)
LATERAL = ("sway", "hip_roll", "twist", "side", "tilt", "look")   # channels whose sign flips in a mirror


@dataclass(frozen=True)
class Step:
    foot: str             # "L" or "R"
    land: float           # beat within the move where the foot lands (lifts half a beat earlier)
    dx: float = 0.0       # landing place relative to the foot's home, in the dance frame
    dy: float = 0.0
    turn: float = 0.0     # degrees the dancer's facing turns with this step
    lift: float = 0.5     # beats in the air


@dataclass(frozen=True)
class Move:
    name: str
    beats: int
    keys: dict                          # channel -> one value per beat
    steps: tuple = ()
    travel: tuple = (0.0, 0.0)          # where the dance frame has moved by the end of the move
    calm: bool = False

    def key(self, channel: str, beat: int) -> float:
        values = self.keys.get(channel)
        return NEUTRAL[channel] if values is None else float(values[beat % len(values)])

    def mirrored(self) -> "Move":
        keys = {}
        for channel, values in self.keys.items():
            if channel in LATERAL:
                keys[channel] = tuple(-v for v in values)
            elif channel[:2] in ("l_", "r_"):
                keys[("r_" if channel[0] == "l" else "l_") + channel[2:]] = values
            else:
                keys[channel] = values
        steps = tuple(replace(s, foot="R" if s.foot == "L" else "L", dx=-s.dx, turn=-s.turn) for s in self.steps)
        return replace(self, keys=keys, steps=steps, travel=(-self.travel[0], self.travel[1]))


def _arms(l_el, l_az, l_elbow, r_el, r_az, r_elbow):
    return {"l_el": l_el, "l_az": l_az, "l_elbow": l_elbow, "r_el": r_el, "r_az": r_az, "r_elbow": r_elbow}


MOVES = {m.name: m for m in (
    Move("step_touch", 4, {
        "sway": (0.9, 0.7, -0.9, -0.7), "drop": (0.06, 0.02, 0.06, 0.02), "side": (-3, 2, 3, -2),
        "tilt": (-4, 0, 4, 0), "twist": (-6, 0, 6, 0), "hip_roll": (5, 0, -5, 0),
        **_arms((-55, -70, -60, -70), (60, 20, 10, 20), (95, 40, 70, 40),
                (-60, -70, -55, -70), (10, 20, 60, 20), (70, 40, 95, 40))},
        steps=(Step("R", 0, dx=-0.20), Step("L", 1, dx=-0.14), Step("L", 2, dx=0.0), Step("R", 3, dx=0.06))),
    Move("bounce", 4, {
        "drop": (0.09, 0.02, 0.09, 0.02), "lean": (10, 2, 10, 2), "nod": (12, -3, 12, -3),
        "chest": (6, -2, 6, -2), "sway": (0.4, 0.0, -0.4, 0.0), "hip_roll": (4, 0, -4, 0),
        **_arms((-30, -55, -45, -55), (70, 40, 60, 40), (110, 60, 100, 60),
                (-45, -55, -30, -55), (60, 40, 70, 40), (100, 60, 110, 60))}),
    Move("arm_wave", 4, {
        "sway": (-0.6, 0.0, 0.6, 0.0), "drop": (0.03, 0.05, 0.03, 0.05), "side": (6, 0, -6, 0),
        "tilt": (6, 0, -6, 0), "twist": (4, 0, -4, 0),
        **_arms((35, 0, -45, 0), (10, 0, 0, 0), (10, 70, 30, 70),
                (-45, 0, 35, 0), (0, 0, 10, 0), (30, 70, 10, 70))}),
    Move("body_roll", 4, {
        "hip_tilt": (-8, 10, 6, -8), "lean": (-6, -4, 14, 6), "chest": (-8, -10, 4, 14), "nod": (-8, -10, 6, 12),
        "drop": (0.02, 0.06, 0.10, 0.04), "sway": (0.2, 0.0, -0.2, 0.0),
        **_arms((-70, -60, -40, -55), (20, 30, 50, 40), (40, 70, 90, 70),
                (-70, -60, -40, -55), (20, 30, 50, 40), (40, 70, 90, 70))}),
    Move("forward_back", 4, {
        "lean": (10, 4, -5, 0), "drop": (0.07, 0.03, 0.06, 0.02), "sway": (-0.7, 0.6, -0.5, 0.5),
        "nod": (8, 0, -4, 0), "twist": (8, -4, -6, 4),
        **_arms((-10, -50, -70, -60), (80, 50, -10, 20), (40, 90, 60, 50),
                (-40, -10, -60, -70), (60, 80, 20, -10), (90, 40, 50, 60))},
        steps=(Step("L", 0, dy=-0.28), Step("R", 1, dy=-0.22), Step("L", 2), Step("R", 3))),
    Move("side_travel", 4, {
        "sway": (-0.8, 0.6, -0.8, 0.6), "drop": (0.07, 0.02, 0.07, 0.02), "side": (-4, 3, -4, 3),
        "twist": (6, -6, 6, -6), "tilt": (-4, 3, -4, 3),
        **_arms((-20, -60, -20, -60), (0, 30, 0, 30), (20, 80, 20, 80),
                (-20, -60, -20, -60), (0, 30, 0, 30), (20, 80, 20, 80))},
        steps=(Step("L", 0, dx=0.28), Step("R", 1, dx=0.28), Step("L", 2, dx=0.56), Step("R", 3, dx=0.56)),
        travel=(0.56, 0.0)),
    Move("turn", 4, {
        "drop": (0.05, 0.04, 0.05, 0.06), "lean": (2, 0, 2, 0), "sway": (0.3, -0.3, 0.3, -0.3),
        **_arms((-10, 10, 20, -20), (40, 20, 10, 40), (90, 60, 40, 70),
                (-10, 10, 20, -20), (40, 20, 10, 40), (90, 60, 40, 70))},
        steps=(Step("R", 0, turn=90), Step("L", 1, turn=90), Step("R", 2, turn=90), Step("L", 3, turn=90))),
    Move("point", 4, {
        "sway": (0.7, -0.2, -0.7, 0.2), "drop": (0.06, 0.01, 0.06, 0.01), "hip_roll": (7, -2, -7, 2),
        "look": (-20, 0, 20, 0), "tilt": (-6, 0, 6, 0), "twist": (-10, 0, 10, 0),
        **_arms((-70, -40, 45, -40), (10, 40, 30, 40), (30, 90, 5, 90),
                (45, -40, -70, -40), (30, 40, 10, 40), (5, 90, 30, 90))},
        steps=(Step("L", 0, dx=0.08), Step("L", 2, dx=0.0))),
    Move("rock", 4, {
        "lean": (14, -6, 14, -6), "drop": (0.10, 0.03, 0.10, 0.03), "nod": (14, -6, 14, -6),
        "hip_tilt": (6, -6, 6, -6), "twist": (10, -10, -10, 10), "sway": (0.5, -0.5, -0.5, 0.5),
        **_arms((-20, -70, -20, -70), (80, 10, 80, 10), (120, 30, 120, 30),
                (-70, -20, -70, -20), (10, 80, 10, 80), (30, 120, 30, 120))},
        steps=(Step("R", 0, dx=-0.06, dy=0.05), Step("R", 2))),
    Move("sway", 4, {
        "sway": (-0.8, 0.0, 0.8, 0.0), "drop": (0.03, 0.01, 0.03, 0.01), "side": (4, 0, -4, 0),
        "tilt": (5, 0, -5, 0), "hip_roll": (-4, 0, 4, 0),
        **_arms((-75, -70, -65, -70), (15, 25, 35, 25), (30, 45, 60, 45),
                (-65, -70, -75, -70), (35, 25, 15, 25), (60, 45, 30, 45))}, calm=True),
    Move("calm_step", 4, {
        "sway": (0.7, 0.5, -0.7, -0.5), "drop": (0.03, 0.01, 0.03, 0.01), "tilt": (-3, 0, 3, 0),
        **_arms((-70, -72, -65, -72), (25, 15, 10, 15), (50, 30, 40, 30),
                (-65, -72, -70, -72), (10, 15, 25, 15), (40, 30, 50, 30))},
        steps=(Step("R", 0, dx=-0.10, lift=0.8), Step("L", 1, dx=-0.06, lift=0.8), Step("L", 2, lift=0.8),
               Step("R", 3, dx=0.04, lift=0.8)), calm=True),
)}


@dataclass(frozen=True)
class Style:
    name: str
    moves: dict            # move name -> how often it is picked
    stance: float = 0.12   # half the distance between the feet
    amplitude: float = 1.0
    lift: float = 0.09     # swing foot height
    base_bend: float = 0.03
    calm_moves: dict = field(default_factory=lambda: {"sway": 2.0, "calm_step": 2.0, "arm_wave": 1.0})


STYLES = {s.name: s for s in (
    Style("groove", {"step_touch": 3, "bounce": 2, "arm_wave": 1.5, "body_roll": 1.5, "forward_back": 1.5,
                     "side_travel": 1, "turn": 0.6, "point": 1, "rock": 1}),
    Style("hiphop", {"bounce": 3, "rock": 3, "body_roll": 2, "step_touch": 1.5, "forward_back": 1,
                     "turn": 0.5, "arm_wave": 1}, stance=0.15, amplitude=1.15, base_bend=0.05),
    Style("disco", {"point": 3, "step_touch": 2, "side_travel": 1.5, "turn": 1, "arm_wave": 1, "bounce": 1},
          stance=0.11, lift=0.10),
    Style("calm", {"sway": 3, "calm_step": 3, "arm_wave": 1.5, "body_roll": 0.5}, stance=0.11, amplitude=0.7,
          lift=0.06, base_bend=0.02),
)}
