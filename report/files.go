package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-arazzo/arazzo/runner"
)

// Kinds of report files.
const (
	KindJSON  = "json"
	KindJUnit = "junit"
	KindHAR   = "har"
)

// Target is one requested report: a kind and the file to write.
type Target struct {
	Kind, Path string
}

// ParseTarget reads a KIND=PATH report flag value.
func ParseTarget(s string) (Target, error) {
	kind, path, ok := strings.Cut(s, "=")
	kind = strings.ToLower(strings.TrimSpace(kind))
	if !ok || path == "" {
		return Target{}, fmt.Errorf("--report %q: want KIND=PATH with KIND json, junit or har (e.g. --report junit=report.xml)", s)
	}
	switch kind {
	case KindJSON, KindJUnit, KindHAR:
	default:
		return Target{}, fmt.Errorf("--report %q: unknown kind %q (use json, junit or har)", s, kind)
	}
	return Target{Kind: kind, Path: path}, nil
}

// Files writes a run's reports. OpenFiles checks every target before the
// run starts (so a bad path is reported before any request is sent); Write
// writes them all at the end, whatever the run's outcome.
type Files struct {
	targets []Target
	files   []*os.File
	created []bool // the file did not exist before OpenFiles
	written bool
	masker  *Masker
	har     *HARRecorder
}

// OpenFiles parses the KIND=PATH specs and opens (creating parent
// directories and the files) every report file. Files are not truncated
// until Write, so a run that never gets to write keeps the previous ones.
func OpenFiles(specs []string, m *Masker, harOpts HAROptions) (*Files, error) {
	f := &Files{masker: m}
	seen := map[string]string{}
	for _, s := range specs {
		t, err := ParseTarget(s)
		if err != nil {
			f.Close()
			return nil, err
		}
		abs, err := filepath.Abs(t.Path)
		if err != nil {
			abs = t.Path
		}
		if prev, dup := seen[abs]; dup {
			f.Close()
			return nil, fmt.Errorf("--report %s=%s: the %s report already writes to %s; give each report its own file", t.Kind, t.Path, prev, t.Path)
		}
		seen[abs] = t.Kind
		if dir := filepath.Dir(t.Path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				f.Close()
				return nil, fmt.Errorf("--report %s=%s: cannot create the directory: %w", t.Kind, t.Path, err)
			}
		}
		_, statErr := os.Stat(t.Path)
		file, err := os.OpenFile(t.Path, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("--report %s=%s: cannot write the report file: %w", t.Kind, t.Path, err)
		}
		f.targets = append(f.targets, t)
		f.files = append(f.files, file)
		f.created = append(f.created, os.IsNotExist(statErr))
		if t.Kind == KindHAR && f.har == nil {
			f.har = NewHARRecorder(m, harOpts)
		}
	}
	return f, nil
}

// Observer returns the observer that records what the reports need
// during the run (HTTP exchanges for HAR), or nil when none does.
func (f *Files) Observer() runner.Observer {
	if f == nil || f.har == nil {
		return nil
	}
	return f.har
}

// Write writes every report and closes the files. It writes all it can
// and returns the first error.
func (f *Files) Write(results []*runner.WorkflowResult, meta Meta) error {
	if f == nil {
		return nil
	}
	f.written = true
	defer f.Close()
	var run *Run
	var first error
	for i, t := range f.targets {
		file := f.files[i]
		if file == nil {
			if first == nil {
				first = fmt.Errorf("the %s report %s was closed before it was written", t.Kind, t.Path)
			}
			continue
		}
		// Regular files are rewritten; devices and pipes (/dev/stdout) are
		// written as they are.
		st, err := file.Stat()
		regular := err == nil && st.Mode().IsRegular()
		if regular {
			if err = file.Truncate(0); err == nil {
				_, err = file.Seek(0, 0)
			}
		}
		if err == nil {
			switch t.Kind {
			case KindJSON, KindJUnit:
				if run == nil {
					run = Build(results, meta)
				}
				if t.Kind == KindJSON {
					err = WriteJSON(file, run, f.masker)
				} else {
					err = WriteJUnit(file, run, f.masker)
				}
			case KindHAR:
				err = f.har.Write(file, meta.Tool, meta.ToolVersion)
			}
		}
		if err == nil && regular {
			err = file.Sync()
		}
		if err != nil && first == nil {
			first = fmt.Errorf("writing the %s report %s: %w", t.Kind, t.Path, err)
		}
	}
	return first
}

// Close closes the report files. Called before Write (the run stopped
// before it ran anything), it removes the files OpenFiles created, so that
// no empty report is left for a CI reader to choke on.
func (f *Files) Close() {
	if f == nil {
		return
	}
	for i, file := range f.files {
		if file == nil {
			continue
		}
		file.Close()
		if !f.written && f.created[i] {
			os.Remove(f.targets[i].Path)
		}
	}
	f.files = make([]*os.File, len(f.targets))
}
