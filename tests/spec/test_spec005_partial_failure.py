"""SPEC-005's "Required Pattern", as written, keeps successes and enforces the success rate."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List  # noqa: UP035 - the spec's text uses typing.List

import pytest

from tools.error_handling import PartialFailureError
from tools.errors import EXIT_BAD_INPUT
from tools.scene_layout import checkpoint_path
from tools.storage import LocalStorage

# --- what the pattern assumes exists (a job's config, episode and writer) ----------------
Episode = dict[str, Any]


@dataclass
class EpisodeGenerationConfig:
    num_episodes: int
    output_dir: Path
    failing: frozenset[int] = frozenset()


def generate_single_episode(config: EpisodeGenerationConfig, episode_idx: int) -> Episode:
    if episode_idx in config.failing:
        raise RuntimeError(f"episode {episode_idx}: grasp slipped")
    return {"episode_index": episode_idx, "frames": 10 + episode_idx}


def save_episodes_to_disk(items: list[Episode], output_dir: Path) -> None:
    save_successful_items(LocalStorage(output_dir), "episodes", items)


# --- SPEC-005 "Required Pattern", as written ---------------------------------------------
from tools.error_handling import PartialFailureHandler, save_successful_items  # noqa: E402


def generate_episodes_with_partial_failure(
    config: EpisodeGenerationConfig, min_success_rate: float = 0.5
) -> List[Episode]:  # noqa: UP006
    """
    Generate episodes with partial failure handling.

    Saves successful episodes even if some fail.
    Raises if success rate falls below threshold.
    """
    handler = PartialFailureHandler(
        min_success_rate=min_success_rate,
        save_successful_fn=lambda items: save_episodes_to_disk(items, config.output_dir),
    )

    for episode_idx in range(config.num_episodes):
        result = handler.execute(
            fn=generate_single_episode, args=(config, episode_idx), item_id=f"episode_{episode_idx}"
        )

        if result.success:
            handler.add_successful(result.value)

        # Periodic save (every 10 episodes)
        if (episode_idx + 1) % 10 == 0:
            handler.save_checkpoint()

    # Final validation
    if handler.success_rate < min_success_rate:
        # Save what we have before raising
        handler.save_checkpoint()
        raise PartialFailureError(
            f"Success rate {handler.success_rate:.2%} below threshold {min_success_rate:.2%}",
            successful_items=handler.successful_items,
            failed_items=handler.failed_items,
        )

    return handler.successful_items


# --- end of the spec's text --------------------------------------------------------------


def _checkpoint(folder: Path) -> dict[str, Any]:
    return LocalStorage(folder).read_json(checkpoint_path("episodes"))


def test_successes_are_kept_and_checkpointed_periodically(tmp_path):
    """3 of 12 fail: the 9 others come back, and the checkpoint after 10 holds the 7 so far."""
    config = EpisodeGenerationConfig(12, tmp_path, frozenset({0, 4, 8}))
    episodes = generate_episodes_with_partial_failure(config)
    assert [e["episode_index"] for e in episodes] == [1, 2, 3, 5, 6, 7, 9, 10, 11]
    saved = _checkpoint(tmp_path)["succeeded"]
    assert [e["episode_index"] for e in saved.values()] == [1, 2, 3, 5, 6, 7, 9]


def test_below_the_rate_it_saves_then_raises_with_both_lists(tmp_path):
    """8 of 10 fail: the 2 successes are saved first, the error carries both lists and, being
    permanent for this input, exits 2 under the job runner (ours; the spec names no code)."""
    config = EpisodeGenerationConfig(10, tmp_path, frozenset(range(2, 10)))
    with pytest.raises(PartialFailureError, match=r"Success rate 20\.00% below") as info:
        generate_episodes_with_partial_failure(config)
    error = info.value
    assert [e["episode_index"] for e in error.succeeded] == [0, 1]
    assert [f["item"] for f in error.failed] == [f"episode_{i}" for i in range(2, 10)]
    assert "grasp slipped" in error.failed[0]["error"]
    assert error.success_rate == pytest.approx(0.2)
    assert error.exit_code == EXIT_BAD_INPUT
    assert len(_checkpoint(tmp_path)["succeeded"]) == 2


def test_a_saved_checkpoint_is_the_steps_own(tmp_path):
    """`save_successful_items` writes the checkpoint a step's PartialFailureTracker resumes."""
    from tools.partial_failure import PartialFailureTracker

    save_episodes_to_disk([{"episode_index": 0}, {"episode_index": 1}], tmp_path)
    tracker = PartialFailureTracker(LocalStorage(tmp_path), "episodes")
    assert tracker.completed() == {"item_0", "item_1"}


def test_the_handler_refuses_a_rate_outside_0_1_and_runs_without_a_save_function():
    """A bad rate fails at once; without a save function a checkpoint is a no-op."""
    with pytest.raises(ValueError, match="min_success_rate"):
        PartialFailureHandler(min_success_rate=2.0)
    handler = PartialFailureHandler()
    result = handler.execute(functools.partial(divmod, 7), args=(2,))
    assert result.success and result.value == (3, 1) and result.item_id == "item_0"
    handler.save_checkpoint()
    assert handler.success_rate == 1.0 and handler.failed_items == []
