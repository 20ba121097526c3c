package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// badCorpus is the shared corpus of broken documents (arazzo/testdata/bad).
const badCorpus = "../../arazzo/testdata/bad"

// generatedBad writes the corpus members too large to commit: a 10 MB
// string and 1000-level block nesting.
func generatedBad(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	huge := strings.Repeat("x", 10<<20)
	files := map[string]string{
		// 10 MB in a description and a stepId; the source does not exist.
		"huge-string.yaml": "arazzo: 1.0.1\ninfo: {title: t, version: \"1\", description: \"" + huge + "\"}\n" +
			"sourceDescriptions: [{name: api, url: ./missing.yaml, type: openapi}]\n" +
			"workflows: [{workflowId: w, steps: [{stepId: \"" + huge + "\", operationId: o}]}]\n",
	}
	var deep strings.Builder
	deep.WriteString("arazzo: 1.0.1\ninfo:\n")
	for i := range 1000 {
		fmt.Fprintf(&deep, "%sk%d:\n", strings.Repeat("  ", i+1), i)
	}
	deep.WriteString(strings.Repeat("  ", 1001) + "leaf\n")
	files["deep-block.yaml"] = deep.String()
	var paths []string
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// located matches a diagnostic with a file:line:column location.
var located = regexp.MustCompile(`(?m)^\S[^\n]*:\d+:\d+: error: `)

// TestBadDocumentsCLI runs `arazzo validate` and `arazzo run` on every
// document of the bad corpus: each must exit with status 2 (run) or 1/2
// (validate: 1 a document with errors, 2 not a document at all), print a
// located diagnostic, never panic, stay within bounded memory, and finish
// well within a deadline that only catches hangs.
func TestBadDocumentsCLI(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(badCorpus, "*"))
	if err != nil || len(files) < 15 {
		t.Fatalf("corpus %s: %d files, %v", badCorpus, len(files), err)
	}
	files = append(files, generatedBad(t)...)
	for _, file := range files {
		for _, cmd := range []string{"validate", "run"} {
			t.Run(cmd+" "+filepath.Base(file), func(t *testing.T) {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				type outcome struct {
					code           int
					stdout, stderr string
					panicked       any
				}
				done := make(chan outcome, 1)
				go func() {
					var o outcome
					defer func() {
						o.panicked = recover()
						done <- o
					}()
					o.code, o.stdout, o.stderr = runCLI(cmd, file)
				}()
				var o outcome
				select {
				case o = <-done:
				case <-time.After(20 * time.Second):
					t.Fatalf("arazzo %s %s still running after 20 s", cmd, file)
				}
				runtime.ReadMemStats(&after)
				if o.panicked != nil {
					t.Fatalf("panic: %v", o.panicked)
				}
				out := o.stdout + o.stderr
				switch {
				case cmd == "run" && o.code != exitInvalid:
					t.Errorf("exit %d, want 2:\n%.2000s", o.code, out)
				case cmd == "validate" && o.code != exitFailed && o.code != exitInvalid:
					t.Errorf("exit %d, want 1 or 2:\n%.2000s", o.code, out)
				}
				if !located.MatchString(out) {
					t.Errorf("no diagnostic with file:line:column:\n%.2000s", out)
				}
				if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic") {
					t.Errorf("output looks like a crash:\n%.2000s", out)
				}
				// Bounded memory: a 10 MB document may cost a few times its
				// size; an alias bomb expanded would cost gigabytes.
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
					t.Errorf("allocated %d MiB", alloc>>20)
				}
			})
		}
	}
}
