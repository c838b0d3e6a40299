pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.fake_nvml", "tests.fixtures.ledgers"]
