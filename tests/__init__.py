"""The test suite; its folders mirror portal/."""
