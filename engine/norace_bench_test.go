//go:build !race

package engine_test

// raceEnabled shortens the workload tests under the race detector.
const raceEnabled = false
