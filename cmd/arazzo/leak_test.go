package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine outlives them: a
// CLI run must leave nothing behind (the engine closes its idle
// connections when the run ends).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
