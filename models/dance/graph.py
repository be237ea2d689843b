"""Choreography from real dance: a motion graph over the captured library, phrase by phrase, on the music's bars.

The song is cut into phrases (two bars in 4/4, four in 3/4, starting on downbeats, never across a section
boundary). Each phrase is danced by one stretch of captured dance that starts and ends on kinematic beats
(moments where the dancer's motion comes to a stop or turns) and lasts about as long as the phrase at the
capture's own speed. Choosing it weighs (as in motion matching and ChoreoMaster-style graphs): how well its first
pose and velocities continue the pose the dance is in (carrying on with the same capture costs nothing), how hard
the dancer works against how loud the phrase is, footwork, level changes and turns, the style's taste in
captures, how much of it was danced already, staying on the floor area (a hard edge on its whole path), facing
the audience more often than not, how much it must be sped up or slowed down, and how well its own rhythm fits
the phrase's beats. Among the cheapest few a seeded draw picks, so every seed dances differently and the same
seed the same. A section that repeats dances its phrases again (now and then mirrored); sometimes a phrase is
answered by its mirror image.

Each stretch is time-warped onto the music (warp_anchors): its ends land on the phrase's downbeats and its
clearer kinematic beats land on beats or half beats, chosen by a small dynamic programme (weaker ones fall where
the warp puts them, so accents land on some beats, not all). Stretches from different captures are cross-faded
over half a beat and continue the dancer's position and heading (perform); the caller adds the head, the meter
and pins the feet.
"""

from dataclasses import dataclass

import numpy as np
from ...clips import rotations
from ...clips.motion import MotionClip
from ...clips.rotations import Rotation
from ...clips.skeleton import SMPLX_SKELETON
from ...errors import SoundMotionError
from ..filters import gaussian_filter1d
from ..interpolate import PchipInterpolator
from .library import BODY_JOINTS, FEATURE_JOINTS, DanceLibrary, mirror_features

PHRASE_BARS = {4: 2, 3: 4, 2: 4, 6: 2, 5: 2, 7: 2}   # bars in a phrase, by beats in a bar (about 8 to 14 beats)
TRIPLE_CALM = 0.3                      # in triple meter the style's taste is mixed with calm's this much …
TRIPLE_EFFORT = 0.9                    # … the dancer works this hard (a waltz flows) …
TRIPLE_STEPS = 1.5                     # … steps more (a waltz steps on every beat) …
TRIPLE_TURNS = 2.0                     # … and turns more (a waltz turns as it goes)
MIN_RATE, MAX_RATE = 0.75, 1.35       # capture seconds per music second a stretch may be played at
SNAP_DEPTH = 0.2                       # kinematic beats at least this deep may land on a music beat …
SNAP_WINDOW = 0.6                      # … within this share of a beat of where the even warp puts them
HALF_BEAT_WEIGHT = 0.4                 # landing on a half beat earns this share of landing on a beat
WARP_SPEEDS = (0.7, 1.45)              # playing speed between landings, relative to the stretch's average
W_WARP = 2.0                           # cost of a change of speed (squared log)
CROSSFADE_BEATS = 0.5                  # whole width of a blend between two captures, in beats
CROSSFADE_SECONDS = (0.16, 0.4)        # … limited to this many seconds
TOP_CHOICES = 12                       # the seeded draw picks among this many cheapest candidates
TEMPERATURE = 0.35                     # in cost units: how far from the cheapest a draw may wander
FLOOR_MARGIN = 0.4                     # metres kept inside the floor area at phrase ends (soft) …
FLOOR_EDGE = 0.15                      # … and at every moment (hard, as far as the library allows)
OFF_FLOOR = 1e3                        # cost per metre a stretch would carry the dancer past the edge …
EDGE_CHECKED = 400                     # … checked on this many of the cheapest stretches
W_CENTRE = 0.3                         # per square metre from the centre at a phrase's end
MIRROR_ANSWER = 0.25                   # chance that a phrase is answered by its mirror image when it fits
REPEAT_MIRRORED = 0.3                  # chance that a repeated section is danced mirrored
MAX_BEATS_AHEAD = 40                   # kinematic beats a stretch may span

# Cost weights (unitless; a typical good transition costs about 1).
W_POSE, W_VELOCITY, W_TURNING = 1.0 / 0.08, 1.0 / 0.9, 1.0 / 3.0   # metres, m/s and rad/s that cost 1 (squared)
W_EFFORT = 2.5
W_STYLE = 1.0
W_REUSE = 6.0
W_FLOOR = 30.0
W_FACING = 0.8
W_RATE = 6.0
W_DEPTH = 0.8
W_RHYTHM = 3.0                         # a stretch whose own rhythm does not fit the phrase's beats
W_TRAVEL_IN_PLACE = 4.0
W_FOOTWORK = 1.6                       # feet that travel (steps) …
FOOTWORK_SPEED = 0.4                   # … rewarded up to this mean speed (m/s) of the faster ankle
W_TURN = 0.6                           # turns (the stretch's net change of facing, up to half a turn) …
TURN_URGE = 4.0                        # … up to this many times more while the dance has not turned half round
W_LEVEL = 2.5                          # level changes (the pelvis going down and up), more in loud phrases …
LEVEL_RANGE = 0.25                     # … rewarded up to this many metres

# Which captures each style dances, by name (weights; captures not named get OTHER_WEIGHT).
STYLE_CLIPS = {
    "groove": {"G1_J_Dance0_StepTouch": 2, "G1_J_Dance7_Party": 2, "G1_J_Dance6_Sassy": 2, "G1_J_Dance20_DWG": 2,
               "G1_J_Dance3_Woah": 2, "G1_J_Dance2_Salsa": 1.5, "G1_J_Dance8_WestCoast": 1.5,
               "G1_J_ShortDance14_Disco": 1.5, "G1_J_Dance19_LetsGO": 1.5, "G1_J_Dance11_Gnarly": 1.5,
               "G1_J_Dance12_LushLife": 1, "G1_J_Dance23_MidnightSun": 1.5, "G1_J_Dance4_Broadway": 1,
               "G1_J_Dance5_Hype": 1, "G1_J_Dance18_TikTok": 1.5, "G1_J_ShortDance15_Nineties": 1.5,
               "G1_B_WiggleDance": 1, "G1_B_LongDance": 1},
    "hiphop": {"G1_J_Dance5_Hype": 3, "G1_J_Dance17_Shuffle": 3, "G1_J_Dance19_LetsGO": 2, "G1_J_Dance21_Blunt": 3,
               "G1_J_Dance3_Woah": 2, "G1_J_Dance20_DWG": 2, "G1_J_Dance11_Gnarly": 2, "G1_J_Dance9_PeaceMaker": 3,
               "G1_J_Dance8_WestCoast": 3, "G1_J_Dance18_TikTok": 2, "G1_J_ShortDance15_Nineties": 3,
               "G1_B_LongDance": 1.5},
    "disco": {"G1_J_ShortDance14_Disco": 4, "G1_J_Dance0_StepTouch": 2, "G1_J_Dance4_Broadway": 3,
              "G1_J_ShortDance16_JazzWalk": 3, "G1_J_Dance2_Salsa": 3, "G1_B_DadDance": 2, "G1_J_Dance7_Party": 2,
              "G1_J_Dance6_Sassy": 2, "G1_B_WiggleDance": 1.5},
    "calm": {"G1_J_Dance1_Modern": 3, "G1_J_Dance12_LushLife": 2, "G1_B_StretchDance": 3, "G1_B_SpiralDance": 3,
             "G1_J_Dance23_MidnightSun": 1.5, "CMU_": 2.5, "G1_B_WiggleDance": 1},
}
OTHER_WEIGHT = 0.03
STYLE_EFFORT = {"groove": 1.0, "hiphop": 1.15, "disco": 1.05, "calm": 0.7}   # how hard each style works


class GraphError(SoundMotionError):
    pass


@dataclass
class Phrase:
    start: float           # seconds (a downbeat; may be before 0 for a pickup)
    end: float
    beats: np.ndarray      # music beat times from start to end, both included
    bars: int
    key: tuple             # (section label, phrase index within the section)
    loudness: float        # 0..1 relative to the loudest phrase
    first_of_section: bool


@dataclass
class Pick:
    start_beat: int        # library beat index
    end_beat: int
    mirror: bool
    cost: float = 0.0
    reason: str = "new"    # new, continue, repeat (a section's repeat), answer (the mirror of the phrase before)


def phrase_bars(beats_per_bar: int) -> int:
    return PHRASE_BARS.get(int(beats_per_bar), max(1, int(round(8 / max(int(beats_per_bar), 1)))))


def plan_phrases(beat_times_of, bar_grid: list, sections: list, duration: float, loudness_of,
                 beats_per_bar: int = 4, first_downbeat: int = None) -> list:
    """Phrases of phrase_bars(beats_per_bar) bars from `bar_grid` [(start beat index, beats in the bar)], cut at
    section boundaries; bars before `first_downbeat` (a beat index: the music's first bar) are a pickup phrase
    of their own, so the phrases after it start on the music's bars."""
    bars_per_phrase = phrase_bars(beats_per_bar)
    if first_downbeat is None:
        first_downbeat = bar_grid[0][0] if bar_grid else 0
    def section_at(time):
        for i, section in enumerate(sections):
            if time < section.end - 1e-6:
                return i
        return len(sections) - 1

    phrases, group = [], []
    for bar in bar_grid:
        start_time = float(beat_times_of(np.array([bar[0]]))[0])
        if start_time >= duration:
            break
        if group and (len(group) == bars_per_phrase or bar[0] == first_downbeat or section_at(start_time) !=
                      section_at(float(beat_times_of(np.array([group[0][0]]))[0]))):
            phrases.append(group)
            group = []
        group.append(bar)
    if group:
        phrases.append(group)
    result, counters = [], {}
    for group in phrases:
        first, last = group[0][0], group[-1][0] + group[-1][1]
        beats = beat_times_of(np.arange(first, last + 1))
        section = section_at(max(beats[0], 0.0))
        if last <= first_downbeat:   # the pickup before the music's first bar: a phrase of its own
            key, opening = ("pickup", 0), True
        else:
            index = counters.get(section, 0)
            counters[section] = index + 1
            key, opening = (sections[section].label, index), index == 0
        result.append(Phrase(float(beats[0]), float(beats[-1]), beats, len(group), key,
                             loudness_of(beats[0], beats[-1]), opening))
    if result:
        top = max(p.loudness for p in result)
        for p in result:
            p.loudness = p.loudness / top if top > 0 else 0.5
    return result


class _Prepared:
    """Per-library arrays the search needs, computed once per library."""

    def __init__(self, library: DanceLibrary):
        self.library = library
        fps = library.fps
        frames = library.beat_frames
        self.time = frames / fps
        self.clip = library.beat_clip
        self.features = {False: library.beat_features, True: mirror_features(library.beat_features)}
        self.heading = _pelvis_heading(library.rotations[:, 0])
        self.root = library.root
        # usable_until[f]: the last frame of the usable run (within one capture) holding f; -1 where unusable.
        # A run ends before an unusable frame or at a capture's last frame.
        index = np.arange(library.frames)
        ends_here = np.zeros(library.frames, dtype=bool)
        ends_here[library.offsets[1:] - 1] = True
        ends_here[:-1] |= ~library.usable[1:]
        ends_here &= library.usable
        next_end = np.minimum.accumulate(np.where(ends_here, index, library.frames)[::-1])[::-1]
        self.usable_until = np.where(library.usable, next_end, -1)
        cumulative = np.concatenate([[0.0], np.cumsum(library.beat_effort)])
        self.cumulative_effort = cumulative
        feet = np.concatenate([[0.0], np.cumsum(library.beat_footwork)])
        self.cumulative_footwork = feet
        self.beat_xy = library.root[frames, :2]
        height = library.root[:, 2]
        self.beat_high = np.maximum.reduceat(height, frames)     # pelvis height range from each beat to the next
        self.beat_low = np.minimum.reduceat(height, frames)
        count = len(frames)
        self.dimension = library.beat_features.shape[1]
        joints = len(FEATURE_JOINTS)
        weights = np.empty(self.dimension)
        weights[:3 * joints] = W_POSE
        weights[3 * joints:6 * joints] = W_VELOCITY
        weights[6 * joints:] = W_TURNING
        self.weights = weights
        self.count = count

    def distance(self, features: np.ndarray, current: np.ndarray) -> np.ndarray:
        """Weighted mean squared feature difference of each row from `current`. Summed without BLAS, whose
        results can differ in the last bits from call to call, which would break determinism per seed."""
        return np.sum((features - current) ** 2 * self.weights, axis=1) / self.dimension


def _pelvis_heading(pelvis_quats: np.ndarray) -> np.ndarray:
    """Facing angle (0 = -y) of pelvis world rotations: the angle of the rotated x axis (the hip line)."""
    x_axis = rotations.rotate(pelvis_quats, np.array([1.0, 0.0, 0.0]))
    return np.unwrap(np.arctan2(x_axis[:, 1], x_axis[:, 0]))


def _rotate2(xy, angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * xy[..., 0] - s * xy[..., 1], s * xy[..., 0] + c * xy[..., 1]], axis=-1)


class Choreographer:
    def __init__(self, library: DanceLibrary, style: str, energy: float, seed: int, in_place: bool,
                 floor_half_size: float, beats_per_bar: int = 4):
        if style not in STYLE_CLIPS:
            raise GraphError(f"Unknown dance style {style!r}; choose one of {', '.join(sorted(STYLE_CLIPS))}.")
        self.lib = library
        self.prep = _prepared(library)
        self.style = style
        self.energy = float(energy)
        self.rng = np.random.default_rng([int(seed), 0xDA7CE])
        self.in_place = in_place
        self.limit = max(0.3, floor_half_size - FLOOR_MARGIN)
        self.half_size = float(floor_half_size)
        clip_weight = _clip_weights(library.names, style)
        self.effort_scale = STYLE_EFFORT[style]
        self.footwork_scale = self.turn_scale = 1.0
        if beats_per_bar == 3:
            self.footwork_scale, self.turn_scale = TRIPLE_STEPS, TRIPLE_TURNS
            calm = _clip_weights(library.names, "calm")
            clip_weight = (1 - TRIPLE_CALM) * clip_weight / clip_weight.max() + TRIPLE_CALM * calm / calm.max()
            self.effort_scale *= TRIPLE_EFFORT
        self.clip_cost = W_STYLE * -np.log(clip_weight / clip_weight.max())
        self.used = np.zeros(library.frames)
        pool = clip_weight[self.prep.clip] >= 0.25 * clip_weight.max()    # the style's own captures
        effort = library.beat_effort[pool] if pool.any() else library.beat_effort
        self.effort_levels = np.percentile(effort, [10, 50, 90])

    # -- search ---------------------------------------------------------------------------------------------
    def candidates(self, duration: float, beats: int = 8):
        """(start beats, end beats, rates, pelvis height ranges, rhythm misfits) of every stretch that can fill
        `duration` music seconds of `beats` beats: for each start beat, the end beat (same capture, usable
        throughout) that is the clearest stop near the right length."""
        prep = self.prep
        starts, ends, rates, scores, levels = [], [], [], [], []
        intervals = np.diff(prep.time, append=prep.time[-1])
        first_sum = np.concatenate([[0.0], np.cumsum(intervals)])
        square_sum = np.concatenate([[0.0], np.cumsum(intervals ** 2)])
        high, low = prep.beat_high.copy(), prep.beat_low.copy()     # over beats i … i + k - 1
        for k in range(1, MAX_BEATS_AHEAD + 1):
            if k > 1:
                n = prep.count - k + 1
                high[:n] = np.maximum(high[:n], prep.beat_high[k - 1:])
                low[:n] = np.minimum(low[:n], prep.beat_low[k - 1:])
            i = np.arange(prep.count - k)
            j = i + k
            rate = (prep.time[j] - prep.time[i]) / duration
            ok = (prep.clip[i] == prep.clip[j]) & (rate >= MIN_RATE) & (rate <= MAX_RATE)
            ok[ok] = prep.usable_until[self.lib.beat_frames[i[ok]]] >= self.lib.beat_frames[j[ok]]
            if ok.any():
                starts.append(i[ok]), ends.append(j[ok]), rates.append(rate[ok])
                scores.append(self.lib.beat_depth[j[ok]] - W_RATE * np.log(rate[ok]) ** 2)
                levels.append(high[i[ok]] - low[i[ok]])
        if not starts:
            return (np.zeros(0, int), np.zeros(0, int)) + (np.zeros(0),) * 3
        starts, ends, rates, scores, levels = map(np.concatenate, (starts, ends, rates, scores, levels))
        order = np.lexsort((-scores, starts))      # best end for each start first
        starts, ends, rates, levels = (x[order] for x in (starts, ends, rates, levels))
        first = np.concatenate([[True], starts[1:] != starts[:-1]])
        starts, ends, rates, levels = starts[first], ends[first], rates[first], levels[first]
        # How well the stretch's own rhythm fits the phrase's beats: its kinematic beats evenly spaced (their
        # intervals' spread) and one to a beat, or one to two beats or two to a beat.
        count = ends - starts
        mean = (first_sum[ends] - first_sum[starts]) / count
        spread = np.sqrt(np.maximum((square_sum[ends] - square_sum[starts]) / count - mean ** 2, 0.0)) / mean
        per_beat = count / max(beats, 1)
        octave = np.min(np.abs(np.log2(per_beat[:, None] / np.array([0.5, 1.0, 2.0])[None])), axis=1)
        return starts, ends, rates, levels, spread + octave

    def pick(self, phrase: Phrase, state, previous: Pick, forbid_answer: bool) -> Pick:
        duration = phrase.end - phrase.start
        starts, ends, rates, levels, misfit = self.candidates(duration, len(phrase.beats) - 1)
        if len(starts) == 0:
            raise GraphError("The dance library has no captured stretch long enough for this music.")
        lib, prep = self.lib, self.prep
        target = self._target_effort(phrase)
        costs, mirrors = [], []
        for mirror in (False, True):
            cost = np.zeros(len(starts))
            if previous is not None:
                current = state["features"]
                delta = prep.distance(prep.features[mirror][starts], current)
                cost += delta
                continuing = (starts == previous.end_beat) & (mirror == previous.mirror)
                cost[continuing] = 0.0
            effort = (prep.cumulative_effort[ends] - prep.cumulative_effort[starts]) / (ends - starts) * rates
            footwork = (prep.cumulative_footwork[ends] - prep.cumulative_footwork[starts]) / (ends - starts) * rates
            cost += W_EFFORT * np.log(np.maximum(effort, 1e-3) / target) ** 2
            drive = (0.5 + 0.5 * phrase.loudness) * min(self.energy, 1.5)     # dancers keep stepping when quieter
            cost -= W_FOOTWORK * self.footwork_scale * np.clip(footwork / FOOTWORK_SPEED, 0, 1) * drive
            cost -= W_LEVEL * np.clip(levels / LEVEL_RANGE, 0, 1) * drive
            cost += self.clip_cost[prep.clip[starts]]
            cost += W_RATE * np.log(rates) ** 2
            cost -= W_DEPTH * lib.beat_depth[starts]
            cost += W_RHYTHM * misfit
            frames_s, frames_e = lib.beat_frames[starts], lib.beat_frames[ends]
            cumulative_used = np.concatenate([[0.0], np.cumsum(self.used)])
            reuse = (cumulative_used[frames_e] - cumulative_used[frames_s]) / np.maximum(frames_e - frames_s, 1)
            cost += W_REUSE * reuse
            travel = prep.root[frames_e, :2] - prep.root[frames_s, :2]
            turn = prep.heading[frames_e] - prep.heading[frames_s]
            if mirror:
                travel = travel * np.array([-1.0, 1.0])
                turn = -turn
            start_heading = prep.heading[frames_s] * (-1 if mirror else 1)
            end_position = state["position"] + _rotate2(_rotate2(travel, -start_heading), state["heading"])
            if self.in_place:
                cost += W_TRAVEL_IN_PLACE * np.linalg.norm(travel, axis=1)
            else:
                excess = np.maximum(np.abs(end_position) - self.limit, 0.0)
                cost += W_FLOOR * np.sum(excess ** 2, axis=1) + W_CENTRE * np.sum(end_position ** 2, axis=1)
            end_heading = state["heading"] + turn
            cost += W_FACING * (1.0 - np.cos(end_heading)) / 2.0
            # A dance turns: more so while it has not yet turned half round and the song goes on.
            short = max(0.0, 1.0 - (state["turned"][1] - state["turned"][0]) / np.pi)
            urge = 1.0 + TURN_URGE * short * np.clip(phrase.start / max(self.song_end, 1e-6), 0.0, 1.0)
            cost -= W_TURN * self.turn_scale * urge * np.clip(np.abs(turn) / np.pi, 0, 1) * drive
            costs.append(cost)
            mirrors.append(np.full(len(starts), mirror))
        costs, mirrors = np.concatenate(costs), np.concatenate(mirrors)
        all_starts, all_ends = np.tile(starts, 2), np.tile(ends, 2)
        if not self.in_place:   # hard edge: stretches whose path would leave the floor are left out
            near = np.argsort(costs)[:EDGE_CHECKED]
            costs = costs.copy()
            costs[near] += OFF_FLOOR * self.off_floor(all_starts[near], all_ends[near], mirrors[near], state)
        order = np.argsort(costs)[:TOP_CHOICES]
        chances = np.exp(-(costs[order] - costs[order[0]]) / TEMPERATURE)
        choice = order[self.rng.choice(len(order), p=chances / chances.sum())]
        reason = "continue" if (previous is not None and all_starts[choice] == previous.end_beat
                                and mirrors[choice] == previous.mirror) else "new"
        answer = None
        if previous is not None and not forbid_answer and previous.reason in ("new", "continue") \
                and self.rng.random() < MIRROR_ANSWER:
            answer = self._answer(previous, duration, state)
        if answer is not None:
            return answer
        return Pick(int(all_starts[choice]), int(all_ends[choice]), bool(mirrors[choice]), float(costs[choice]),
                    reason)

    def off_floor(self, starts, ends, mirrors, state) -> np.ndarray:
        """(N,) metres the dancer's path (at the stretches' kinematic beats) would pass the floor's edge."""
        prep = self.prep
        steps = np.minimum(starts[:, None] + np.arange(MAX_BEATS_AHEAD + 1)[None], ends[:, None])
        xy = prep.beat_xy[steps] - prep.beat_xy[starts][:, None]
        sign = np.where(mirrors, -1.0, 1.0)
        xy[..., 0] *= sign[:, None]
        turn = state["heading"] - prep.heading[self.lib.beat_frames[starts]] * sign
        c, s = np.cos(turn)[:, None], np.sin(turn)[:, None]
        path = np.stack([c * xy[..., 0] - s * xy[..., 1], s * xy[..., 0] + c * xy[..., 1]], axis=-1)
        path = path + state["position"]
        return np.maximum(np.abs(path).max(axis=(1, 2)) - (self.half_size - FLOOR_EDGE), 0.0)

    def _answer(self, previous: Pick, duration: float, state) -> Pick:
        """The previous phrase again, mirrored, if it can be played at this phrase's length, flows on and stays
        on the floor."""
        prep = self.prep
        length = prep.time[previous.end_beat] - prep.time[previous.start_beat]
        if not MIN_RATE <= length / duration <= MAX_RATE:
            return None
        if not self.in_place and self.off_floor(np.array([previous.start_beat]), np.array([previous.end_beat]),
                                                np.array([not previous.mirror]), state)[0] > 0:
            return None
        mirror = not previous.mirror
        delta = float(prep.distance(prep.features[mirror][previous.start_beat][None], state["features"])[0])
        if delta > 1.5:
            return None
        return Pick(previous.start_beat, previous.end_beat, mirror, float(delta), "answer")

    def _target_effort(self, phrase: Phrase) -> float:
        low, mid, high = self.effort_levels
        level = np.clip(0.3 + 0.7 * phrase.loudness, 0, 1) * np.clip(self.energy, 0.1, 2.0) * self.effort_scale
        return float(np.interp(level, [0.0, 0.6, 1.2, 2.0], [low, mid, high, high * 1.2]))

    def mark_used(self, pick: Pick):
        a, b = self.lib.beat_frames[pick.start_beat], self.lib.beat_frames[pick.end_beat]
        self.used[a:b] = 1.0

    # -- the whole song ----------------------------------------------------------------------------------------
    def choose(self, phrases: list) -> list:
        """One Pick per phrase."""
        picks, chosen_for, repeat_mirror = [], {}, {}
        state = {"position": np.zeros(2), "heading": 0.0, "features": None, "turned": (0.0, 0.0)}
        self.song_end = phrases[-1].end if phrases else 1.0
        previous = None
        for phrase in phrases:
            pick = None
            earlier = chosen_for.get(phrase.key)
            if earlier is not None:   # this part of the song came before: dance it again (the whole section
                length = self.prep.time[earlier.end_beat] - self.prep.time[earlier.start_beat]   # maybe mirrored)
                if MIN_RATE <= length / (phrase.end - phrase.start) <= MAX_RATE:
                    label = phrase.key[0]
                    if phrase.first_of_section or label not in repeat_mirror:
                        repeat_mirror[label] = bool(self.rng.random() < REPEAT_MIRRORED)
                    for mirror in (earlier.mirror ^ repeat_mirror[label], not (earlier.mirror ^ repeat_mirror[label])):
                        if self.in_place or self.off_floor(np.array([earlier.start_beat]), np.array([earlier.end_beat]),
                                                           np.array([mirror]), state)[0] == 0:
                            pick = Pick(earlier.start_beat, earlier.end_beat, mirror, 0.0, "repeat")
                            break
            if pick is None:
                if previous is not None:
                    state["features"] = self.prep.features[previous.mirror][previous.end_beat]
                pick = self.pick(phrase, state, previous, forbid_answer=phrase.first_of_section)
                chosen_for.setdefault(phrase.key, pick)
            self.mark_used(pick)
            state = self._advance(state, pick)
            picks.append(pick)
            previous = pick
        return picks

    def _advance(self, state, pick: Pick) -> dict:
        prep = self.prep
        a, b = self.lib.beat_frames[pick.start_beat], self.lib.beat_frames[pick.end_beat]
        sign = -1.0 if pick.mirror else 1.0
        travel = prep.root[b, :2] - prep.root[a, :2]
        if pick.mirror:
            travel = travel * np.array([-1.0, 1.0])
        start_heading = sign * prep.heading[a]
        position = state["position"] + _rotate2(_rotate2(travel, -start_heading), state["heading"])
        path = state["heading"] + sign * (prep.heading[a:b + 1] - prep.heading[a])
        turned = (min(state["turned"][0], path.min()), max(state["turned"][1], path.max()))
        return {"position": position, "heading": float(path[-1]), "features": state["features"], "turned": turned}


def _clip_weights(names, style: str) -> np.ndarray:
    weights = STYLE_CLIPS[style]
    return np.array([next((w for key, w in weights.items() if name.startswith(key)), OTHER_WEIGHT) for name in names])


_PREPARED = {}


def _prepared(library: DanceLibrary) -> _Prepared:
    key = id(library)
    if key not in _PREPARED:
        _PREPARED.clear()
        _PREPARED[key] = _Prepared(library)
    return _PREPARED[key]


# -- performing the picks: warp, align, blend ---------------------------------------------------------------------

def warp_anchors(library: DanceLibrary, pick: Pick, phrase: Phrase) -> tuple:
    """(music times, capture seconds) through which the stretch is warped onto the phrase.

    The stretch's ends land on the phrase's downbeats. Inside, a small dynamic programme (after Davis and
    Agrawala's visual-beat alignment) picks which of the stretch's kinematic beats land on which music beats or
    half beats: each landing earns the beat's depth (a full stop counts most; a half beat half as much), each
    change of playing speed between landings costs, and speeds stay within bounds. Beats left out fall where the
    warp puts them, so accents land on some beats, not all.
    """
    fps = library.fps
    a, b = pick.start_beat, pick.end_beat
    u0, u1 = library.beat_frames[a] / fps, library.beat_frames[b] / fps
    t0, t1 = phrase.start, phrase.end
    rate = (u1 - u0) / (t1 - t0)
    beats = phrase.beats
    grid = np.concatenate([beats, 0.5 * (beats[:-1] + beats[1:])])
    grid_weight = np.concatenate([np.ones(len(beats)), np.full(len(beats) - 1, HALF_BEAT_WEIGHT)])
    period = (t1 - t0) / max(len(beats) - 1, 1)
    # Nodes: (music time, capture seconds, gain); the start and end are fixed, inner ones are options.
    nodes = [(t0, u0, 0.0)]
    for k in range(a + 1, b):
        depth = library.beat_depth[k]
        if depth < SNAP_DEPTH:
            continue
        u = library.beat_frames[k] / fps
        nominal = t0 + (u - u0) / rate
        for g, weight in zip(grid, grid_weight):
            if t0 < g < t1 and abs(g - nominal) <= SNAP_WINDOW * period:
                nodes.append((g, u, depth * weight))
    nodes.append((t1, u1, 0.0))
    order = sorted(range(len(nodes)), key=lambda n: (nodes[n][1], nodes[n][0]))
    nodes = [nodes[n] for n in order]
    best = np.full(len(nodes), -np.inf)
    back = np.full(len(nodes), -1)
    best[0] = 0.0
    for n in range(1, len(nodes)):
        t, u, gain = nodes[n]
        for m in range(n):
            tm, um, _ = nodes[m]
            if best[m] == -np.inf or t <= tm or u <= um:
                continue
            local = (u - um) / (t - tm) / rate
            if not WARP_SPEEDS[0] <= local <= WARP_SPEEDS[1]:
                continue
            value = best[m] + gain - W_WARP * np.log(local) ** 2
            if value > best[n]:
                best[n], back[n] = value, m
    path, n = [], len(nodes) - 1
    while n >= 0:
        path.append(nodes[n])
        n = back[n]
    path = path[::-1]
    if path[0][:2] != (t0, u0):    # no feasible path (cannot happen: start → end directly is allowed)
        path = [nodes[0], nodes[-1]]
    return np.array([p[0] for p in path]), np.array([p[1] for p in path])


@dataclass
class _Run:
    times: np.ndarray      # music anchor times
    values: np.ndarray     # capture seconds (of the library's global timeline)
    mirror: bool
    clip: int
    start: float           # music time the run takes over
    end: float             # music time the run hands over


def _runs(library: DanceLibrary, phrases: list, picks: list) -> list:
    runs = []
    for phrase, pick in zip(phrases, picks):
        times, values = warp_anchors(library, pick, phrase)
        clip = int(library.beat_clip[pick.start_beat])
        if runs and pick.reason in ("continue",) and runs[-1].mirror == pick.mirror and runs[-1].clip == clip \
                and abs(runs[-1].values[-1] - values[0]) < 1e-6:
            run = runs[-1]
            run.times = np.concatenate([run.times, times[1:]])
            run.values = np.concatenate([run.values, values[1:]])
            run.end = phrase.end
        else:
            runs.append(_Run(times, values, pick.mirror, clip, phrase.start, phrase.end))
    return runs


def _warp(run: _Run, t: np.ndarray, library: DanceLibrary) -> np.ndarray:
    """Capture seconds at music times `t`, extended past the anchors at the end rates, kept inside the clip."""
    curve = PchipInterpolator(run.times, run.values)
    inside = curve(np.clip(t, run.times[0], run.times[-1]))
    first = (run.values[1] - run.values[0]) / (run.times[1] - run.times[0])
    last = (run.values[-1] - run.values[-2]) / (run.times[-1] - run.times[-2])
    u = np.where(t < run.times[0], run.values[0] + (t - run.times[0]) * first, inside)
    u = np.where(t > run.times[-1], run.values[-1] + (t - run.times[-1]) * last, u)
    lo = library.offsets[run.clip] / library.fps
    hi = (library.offsets[run.clip + 1] - 1) / library.fps
    return np.clip(u, lo, hi)


def _sample(library: DanceLibrary, u: np.ndarray, mirror: bool):
    """Local rotations (N, 22, 4), root (N, 3), pelvis heading (N,), contacts (N, 2), has-head (N,) at capture
    seconds `u` (linear between the library's frames; nlerp for rotations)."""
    position = u * library.fps
    lo = np.clip(np.floor(position).astype(int), 0, library.frames - 2)
    w = np.clip(position - lo, 0.0, 1.0)
    q0, q1 = library.rotations[lo], library.rotations[lo + 1]
    sign = np.where(np.sum(q0 * q1, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    q = rotations.normalize(q0 * (1 - w)[:, None, None] + q1 * sign * w[:, None, None])
    root = library.root[lo] * (1 - w)[:, None] + library.root[lo + 1] * w[:, None]
    nearest = np.where(w < 0.5, lo, lo + 1)
    contacts = library.contacts[nearest]
    has_head = library.has_head[library.clip_of_frame(nearest)]
    if mirror:
        q = _mirror_body(q)
        root = root * np.array([-1.0, 1.0, 1.0])
        contacts = contacts[:, ::-1]
    heading = _pelvis_heading(q[:, 0])
    return q, root, heading, contacts, has_head


_MIRROR_SWAP = [BODY_JOINTS.index(n.replace("left_", "@").replace("right_", "left_").replace("@", "right_"))
                for n in BODY_JOINTS]


def _mirror_body(q: np.ndarray) -> np.ndarray:
    out = q[:, _MIRROR_SWAP].copy()
    out[..., 2:] *= -1.0
    return out


def _nlerp(a, b, w):
    sign = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return rotations.normalize(a * (1 - w) + b * sign * w)


def perform(library: DanceLibrary, phrases: list, picks: list, times: np.ndarray, in_place: bool = False):
    """Local body rotations (T, 22, 4), root (T, 3), contacts (T, 2) and captured-head weight (T,) at `times`."""
    runs = _runs(library, phrases, picks)
    frames = len(times)
    out_q = np.zeros((frames, len(BODY_JOINTS), 4))
    out_q[..., 0] = 1.0
    out_root = np.zeros((frames, 3))
    out_contacts = np.zeros((frames, 2), dtype=bool)
    out_head = np.zeros(frames)
    position, heading = np.zeros(2), 0.0
    beat_seconds = np.median(np.diff(np.concatenate([p.beats for p in phrases]))) if phrases else 0.5
    half = 0.5 * float(np.clip(CROSSFADE_BEATS * beat_seconds, *CROSSFADE_SECONDS))
    for index, run in enumerate(runs):
        first, last = index == 0, index == len(runs) - 1
        lo = -np.inf if first else run.start - half
        hi = np.inf if last else run.end + half
        span = np.flatnonzero((times >= lo) & (times < hi))
        if len(span) == 0:
            continue
        u = _warp(run, times[span], library)
        q, root, run_heading, contacts, has_head = _sample(library, u, run.mirror)
        # Align: at the hand-over time the run starts where the dance is and faces where it faces.
        handover = max(run.start, times[0])
        u_h = _warp(run, np.array([handover]), library)
        _, root_h, heading_h, _, _ = _sample(library, u_h, run.mirror)
        if not first:
            at = int(np.clip(np.searchsorted(times, handover), 0, frames - 1))
            position, heading = out_root[at, :2].copy(), _pelvis_heading(out_q[at:at + 1, 0])[0]
        turn = heading - heading_h[0]
        xy = _rotate2(root[:, :2] - root_h[0, :2], turn) + position
        spin = rotations.from_rotation(Rotation.from_euler("z", turn))
        pelvis = rotations.multiply(np.broadcast_to(spin, q[:, 0].shape), q[:, 0])
        q = q.copy()
        q[:, 0] = pelvis
        root = np.concatenate([xy, root[:, 2:]], axis=1)
        if first:
            weight = np.ones(len(span))
        else:
            weight = np.clip((times[span] - (run.start - half)) / (2 * half), 0.0, 1.0)
            weight = weight * weight * (3 - 2 * weight)
        w = weight[:, None]
        out_q[span] = _nlerp(out_q[span], q, w[:, :, None])
        out_root[span] = out_root[span] * (1 - w) + root * w
        out_contacts[span] = np.where(w > 0.5, contacts, out_contacts[span])
        out_head[span] = out_head[span] * (1 - weight) + has_head * weight
    if in_place:
        rate = 1.0 / max(np.median(np.diff(times)), 1e-6) if frames > 1 else 30.0
        drift = gaussian_filter1d(out_root[:, :2], 0.8 * rate, axis=0, mode="nearest")
        out_root[:, :2] -= drift
    return out_q, out_root, out_contacts, out_head


def to_clip(body_q: np.ndarray, root: np.ndarray, fps: float) -> MotionClip:
    """A SMPL-X MotionClip from body rotations (the rest of the skeleton at rest; relaxed fingers added later)."""
    frames = len(root)
    local = np.zeros((frames, len(SMPLX_SKELETON), 4))
    local[..., 0] = 1.0
    local[:, :len(BODY_JOINTS)] = body_q
    return MotionClip(fps, SMPLX_SKELETON, rotations.make_continuous(local), root)
