// Package testutil holds helpers shared by the project's tests: locating the
// shared conformance corpora and skipping loudly when an external resource
// (corpus, database, broker) is unavailable.
package testutil

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, searching upward from the
// working directory (go test runs in the package directory).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's working directory")
		}
		dir = parent
	}
}

// SharedDir returns ../shared beside the module root (or $ARAZZO_SHARED_DIR),
// skipping the test loudly when it is missing.
func SharedDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ARAZZO_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join(ModuleRoot(t), "..", "shared")
	}
	if _, err := os.Stat(dir); err != nil {
		SkipLoudly(t, "shared test data not found at %s (set ARAZZO_SHARED_DIR): %v", dir, err)
	}
	return dir
}

// ConformanceDir returns the shared conformance corpora directory, or the
// named sub-directory of it, skipping loudly when it is missing.
func ConformanceDir(t testing.TB, sub ...string) string {
	t.Helper()
	dir := os.Getenv("ARAZZO_CONFORMANCE_DIR")
	if dir == "" {
		dir = filepath.Join(SharedDir(t), "conformance")
	}
	dir = filepath.Join(append([]string{dir}, sub...)...)
	if _, err := os.Stat(dir); err != nil {
		SkipLoudly(t, "conformance corpus not found at %s: %v", dir, err)
	}
	return dir
}

// SkipLoudly skips the test and also prints the reason to stderr, so that a
// skipped external check is visible in `go test` output without -v.
func SkipLoudly(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(os.Stderr, "SKIP %s: %s\n", t.Name(), msg)
	t.Skip(msg)
}
