"""Unit test of {{name}}'s decisions: ``python3 -m unittest`` (no hub needed)."""

import unittest

from state import ModuleState


class ModuleStateTest(unittest.TestCase):
    def test_forwards_until_disabled(self) -> None:
        state = ModuleState()
        self.assertTrue(state.should_forward())
        state.count_forwarded()
        self.assertEqual(state.apply_desired({"Enabled": False, "$version": 2}), {"Enabled": False})
        self.assertFalse(state.should_forward())
        self.assertEqual(state.status(), {"enabled": False, "forwarded": 1})

    def test_ignores_desired_properties_without_a_boolean(self) -> None:
        state = ModuleState()
        self.assertIsNone(state.apply_desired({"Enabled": "no"}))
        self.assertIsNone(state.apply_desired({}))
        self.assertTrue(state.should_forward())


if __name__ == "__main__":
    unittest.main()
