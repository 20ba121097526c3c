// Package journal stores a run's journal in a local file, so that a run
// interrupted by a crash, a reboot or Ctrl-C can be resumed without
// repeating the requests it already made (see runner.Journal for the
// replay model).
//
// The file is append-only text, one record per line:
//
//	<crc32c of the JSON, 8 hex digits> <JSON record>\n
//
// The first record is the run's Header; then come runner entries, written
// and fsynced one at a time, and finally an end record when the run
// finished. A crash can leave at most the last line incomplete: Open
// detects it (missing newline or checksum mismatch on the last line),
// drops it, and truncates the file there before appending. A damaged line
// anywhere else is reported as corruption, never silently skipped.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-arazzo/arazzo/runner"
)

// Version is the journal format version this package writes and reads.
const Version = 1

// Header describes the run a journal belongs to: enough to start it again
// on resume. Secret inputs are never stored; their names are listed in
// Withheld so that resume can ask for them.
type Header struct {
	Version int       `json:"version"`
	Tool    string    `json:"tool,omitempty"`
	Created time.Time `json:"created"`
	// Document is the absolute path of the Arazzo document, and
	// DocumentSHA256 its content hash when the run started: resuming with
	// a changed document could replay responses into different steps.
	Document       string `json:"document"`
	DocumentSHA256 string `json:"documentSha256"`
	// Workflows are the workflow ids run; All means every workflow of the
	// document (RunAll).
	Workflows []string `json:"workflows"`
	All       bool     `json:"all,omitempty"`
	// Inputs per workflow id, without the withheld ones.
	Inputs   map[string]map[string]any `json:"inputs,omitempty"`
	Withheld map[string][]string       `json:"withheld,omitempty"`
	// Options are the caller's run settings (server overrides, allowed
	// hosts, step budget, …) as flag-like name → values.
	Options map[string][]string `json:"options,omitempty"`
}

// End is the last record of a run that finished.
type End struct {
	Time     time.Time         `json:"time"`
	Statuses map[string]string `json:"statuses"`
}

// record is one line of the file.
type record struct {
	Header *Header       `json:"header,omitempty"`
	Entry  *runner.Entry `json:"entry,omitempty"`
	End    *End          `json:"end,omitempty"`
}

// File is an open journal. It implements runner.Journal and is safe for
// concurrent use.
type File struct {
	path string
	mu   sync.Mutex
	f    *os.File
	hdr  Header
	// entries holds the last entry per key read at Open; a journal being
	// written for a fresh run keeps nothing in memory.
	entries map[string]runner.Entry
	order   []string
	end     *End
	// mask rewrites request URLs before they are written (secrets).
	mask func(string) string
	err  error
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Create starts a new journal at path for the run h. It refuses to
// overwrite an existing file: that is a run to resume or remove.
func Create(path string, h Header) (*File, error) {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("state file %s already exists: resume it with 'arazzo resume %s', or remove it to start afresh", path, path)
		}
		return nil, fmt.Errorf("cannot create state file: %w", err)
	}
	h.Version = Version
	if h.Created.IsZero() {
		h.Created = time.Now().UTC()
	}
	f := &File{path: path, f: fh, hdr: h}
	if err := f.write(record{Header: &h}); err != nil {
		fh.Close()
		os.Remove(path)
		return nil, err
	}
	// Make the new file's directory entry durable too.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return f, nil
}

// Open reads the journal at path for resuming: it returns the header and
// makes every recorded entry available to Lookup. An incomplete last
// record (a crash while writing it) is dropped and cut from the file.
func Open(path string) (*File, error) {
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("cannot open state file: %w", err)
	}
	f := &File{path: path, f: fh, entries: map[string]runner.Entry{}}
	good, err := f.load(bufio.NewReaderSize(fh, 64<<10))
	if err != nil {
		fh.Close()
		return nil, err
	}
	if err := fh.Truncate(good); err != nil {
		fh.Close()
		return nil, fmt.Errorf("state file %s: cannot cut its incomplete last record: %w", path, err)
	}
	if _, err := fh.Seek(good, io.SeekStart); err != nil {
		fh.Close()
		return nil, err
	}
	return f, nil
}

// load reads records until the end or an incomplete last line and returns
// the offset just after the last good record.
func (f *File) load(r *bufio.Reader) (int64, error) {
	var off int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err == io.EOF {
			// No newline: a record cut short by a crash (or nothing).
			break
		}
		if err != nil {
			return 0, fmt.Errorf("state file %s: %w", f.path, err)
		}
		rec, perr := parseLine(line)
		if perr != nil {
			if _, peek := r.Peek(1); peek == io.EOF {
				break // damaged last line: a torn write
			}
			return 0, fmt.Errorf("state file %s line %d is damaged (%v) and is not the last line, so a crash did not cause it; restore the file from a copy or start a new run", f.path, n, perr)
		}
		switch {
		case n == 1 && rec.Header == nil:
			return 0, fmt.Errorf("state file %s does not start with a run header; is it a state file written by 'arazzo run --state'?", f.path)
		case rec.Header != nil:
			if rec.Header.Version != Version {
				return 0, fmt.Errorf("state file %s has format version %d; this arazzo reads version %d", f.path, rec.Header.Version, Version)
			}
			f.hdr = *rec.Header
		case rec.Entry != nil:
			if _, seen := f.entries[rec.Entry.Key]; !seen {
				f.order = append(f.order, rec.Entry.Key)
			}
			f.entries[rec.Entry.Key] = *rec.Entry
		case rec.End != nil:
			f.end = rec.End
		}
		off += int64(len(line))
	}
	if off == 0 {
		return 0, fmt.Errorf("state file %s is empty or has no complete header; nothing to resume", f.path)
	}
	return off, nil
}

func parseLine(line []byte) (record, error) {
	var rec record
	line = bytes.TrimSuffix(line, []byte{'\n'})
	if len(line) < 10 || line[8] != ' ' {
		return rec, errors.New("no checksum")
	}
	var want uint32
	if _, err := fmt.Sscanf(string(line[:8]), "%08x", &want); err != nil {
		return rec, errors.New("bad checksum field")
	}
	body := line[9:]
	if crc32.Checksum(body, crcTable) != want {
		return rec, errors.New("checksum mismatch")
	}
	if err := json.Unmarshal(body, &rec); err != nil {
		return rec, err
	}
	return rec, nil
}

// write appends one record and fsyncs it. After a failed write the file
// refuses further records: the caller must not go on without durability.
func (f *File) write(rec record) error {
	if f.err != nil {
		return f.err
	}
	body, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("state file %s: cannot encode record: %w", f.path, err)
	}
	line := make([]byte, 0, len(body)+10)
	line = fmt.Appendf(line, "%08x ", crc32.Checksum(body, crcTable))
	line = append(line, body...)
	line = append(line, '\n')
	if _, err := f.f.Write(line); err != nil {
		f.err = fmt.Errorf("state file %s: %w", f.path, err)
		return f.err
	}
	if err := f.f.Sync(); err != nil {
		f.err = fmt.Errorf("state file %s: fsync: %w", f.path, err)
		return f.err
	}
	return nil
}

// Header returns the run's header.
func (f *File) Header() Header { return f.hdr }

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Ended returns the end record when the journaled run finished.
func (f *File) Ended() *End { return f.end }

// SetMask sets a function applied to request URLs before they are
// written, to keep secrets (API keys in query strings) out of the file.
func (f *File) SetMask(mask func(string) string) { f.mask = mask }

// Lookup implements runner.Journal.
func (f *File) Lookup(key string) (runner.Entry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[key]
	return e, ok
}

// Record implements runner.Journal: it appends e and fsyncs the file.
func (f *File) Record(e runner.Entry) error {
	if f.mask != nil {
		e.URL = f.mask(e.URL)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write(record{Entry: &e})
}

// Finish records that the run ended with the given status per workflow.
func (f *File) Finish(statuses map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.write(record{End: &End{Time: time.Now().UTC(), Statuses: statuses}})
}

// InDoubt lists the requests an interrupted run sent without recording
// their outcome, in the order they were sent.
func (f *File) InDoubt() []runner.Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []runner.Entry
	for _, k := range f.order {
		if e := f.entries[k]; e.Type == runner.EntrySent {
			out = append(out, e)
		}
	}
	return out
}

// Exchanges counts the recorded exchanges (responses and transport
// failures) a resume will replay instead of sending.
func (f *File) Exchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, e := range f.entries {
		if e.Type == runner.EntryReceived || e.Type == runner.EntryFailed {
			n++
		}
	}
	return n
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
