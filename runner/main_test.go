package runner_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine outlives them:
// HTTP keep-alive loops, retry timers, servers of fault tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
