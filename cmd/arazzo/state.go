package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/journal"
	"github.com/go-arazzo/arazzo/runner"
)

// resumeAnnotation marks the resume command, which shares the run
// command's flags and code path.
const resumeAnnotation = "arazzo/resume"

// Run settings saved in a state file's header, by flag name.
const (
	optServer   = "server"
	optAllow    = "allow-host"
	optMaxSteps = "max-steps"
	optPath     = "allow-path"
)

// flagsFixedByState are run flags that resume takes from the state file.
var flagsFixedByState = []string{"workflow", "server", "allow-host", "max-steps", "state"}

func newResumeCmd() *cobra.Command {
	cmd := newRunCmd()
	cmd.Use = "resume STATE"
	cmd.Short = "Continue a run that was journaled with --state and interrupted"
	cmd.Long = `Resume continues a run started with 'arazzo run --state STATE' that was
interrupted (killed, Ctrl-C, machine restarted). It runs the same workflows of
the same document with the same inputs and settings; every request whose
response the state file recorded is replayed from it instead of being sent
again, and the run carries on from where it stopped.

A POST or PATCH that was sent but whose response was not recorded may or may
not have reached the server: resume stops and names it, so that a person can
check. After checking that it did not take effect, resume again with
--resend-in-doubt. Idempotent requests (GET, PUT, DELETE, … or any request
with an Idempotency-Key header) are simply sent again.

Secret inputs are never written to the state file: pass them again with
--input, --inputs or ARAZZO_INPUT_<NAME>.

Exit status as for run.`
	cmd.Annotations = map[string]string{resumeAnnotation: "true"}
	for _, name := range flagsFixedByState {
		if fl := cmd.Flags().Lookup(name); fl != nil {
			fl.Hidden = true
		}
	}
	return cmd
}

// runResume reopens the state file, restores the run's settings from its
// header and runs again through the journal.
func runResume(cmd *cobra.Command, statePath string, f *runFlags) error {
	for _, name := range flagsFixedByState {
		if cmd.Flags().Changed(name) {
			return &exitError{code: exitInvalid, msg: fmt.Sprintf("--%s cannot be changed on resume: the state file fixes it", name)}
		}
	}
	j, err := journal.Open(statePath)
	if err != nil {
		return &exitError{code: exitInvalid, msg: err.Error()}
	}
	defer j.Close()
	h := j.Header()
	digest, err := fileDigest(h.Document)
	if err != nil {
		return &exitError{code: exitInvalid, msg: fmt.Sprintf("the run's document cannot be read: %v", err)}
	}
	if digest != h.DocumentSHA256 {
		return &exitError{code: exitInvalid, msg: fmt.Sprintf("%s changed since the run started; resuming would replay recorded responses into different steps. Restore the document as it was, or start a new run", h.Document)}
	}
	if !h.All {
		f.workflows = h.Workflows
	}
	f.servers = h.Options[optServer]
	f.allowHosts = h.Options[optAllow]
	allowPaths = append(allowPaths, h.Options[optPath]...)
	if v := h.Options[optMaxSteps]; len(v) == 1 {
		if n, err := strconv.Atoi(v[0]); err == nil {
			f.maxSteps = n
		}
	}
	f.resumed = j
	return runRun(cmd, h.Document, f)
}

// resumedInputs are the inputs a resumed run starts from (those the state
// file kept); command-line inputs override them.
func (f *runFlags) resumedInputs(workflowID string) map[string]any {
	in := map[string]any{}
	if f.resumed != nil {
		for k, v := range f.resumed.Header().Inputs[workflowID] {
			in[k] = v
		}
	}
	return in
}

// journal returns the run options that make the run durable (--state, or
// a resume) and a function to call with the results when the run ends.
func (f *runFlags) journal(cmd *cobra.Command, file string, doc *engine.Document, ids []string, all bool,
	inputs map[string]map[string]any, m *masker) ([]engine.RunOption, func([]*engine.Result), error) {
	noop := func([]*engine.Result) {}
	j := f.resumed
	switch {
	case j != nil:
		for _, id := range ids {
			for _, name := range j.Header().Withheld[id] {
				if _, ok := inputs[id][name]; !ok {
					return nil, noop, &exitError{code: exitInvalid, msg: fmt.Sprintf("input %s of workflow %s is a secret, so the state file does not keep it: pass it again with --input %s=… or %s", name, id, name, envName(name))}
				}
			}
		}
		if f.format == "text" && !f.quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "resuming %s: %d recorded exchanges are replayed, not sent again\n", j.Path(), j.Exchanges())
			for _, e := range j.InDoubt() {
				fmt.Fprintf(cmd.ErrOrStderr(), "  in doubt: %s %s (step %s) was sent but its response was not recorded\n", e.Method, m.mask(e.URL), e.StepID)
			}
		}
		if end := j.Ended(); end != nil && f.format == "text" && !f.quiet {
			fmt.Fprintln(cmd.ErrOrStderr(), "  the run had already finished; its result is replayed")
		}
	case f.state != "":
		h, err := stateHeader(file, doc, ids, all, inputs, f)
		if err != nil {
			return nil, noop, &exitError{code: exitInvalid, msg: err.Error()}
		}
		if j, err = journal.Create(f.state, h); err != nil {
			return nil, noop, &exitError{code: exitInvalid, msg: err.Error()}
		}
	default:
		return nil, noop, nil
	}
	j.SetMask(m.mask)
	opts := []engine.RunOption{engine.WithJournal(j)}
	if f.resendInDoubt {
		opts = append(opts, engine.WithResendInDoubt())
	}
	finish := func(results []*engine.Result) {
		statuses := map[string]string{}
		for _, res := range results {
			if res.Status == runner.StatusCancelled {
				return // resumable: no end record
			}
			statuses[res.WorkflowID] = string(res.Status)
		}
		if j.Ended() == nil {
			if err := j.Finish(statuses); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), "arazzo: "+err.Error())
			}
		}
		if f.resumed == nil {
			j.Close()
		}
	}
	return opts, finish, nil
}

// fileDigest is the hex SHA-256 of a file: how resume knows the document
// is the one the run started with.
func fileDigest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// stateHeader describes the run for the state file: everything resume
// needs except secrets.
func stateHeader(file string, doc *engine.Document, ids []string, all bool, inputs map[string]map[string]any, f *runFlags) (journal.Header, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return journal.Header{}, err
	}
	digest, err := fileDigest(abs)
	if err != nil {
		return journal.Header{}, fmt.Errorf("--state: %w", err)
	}
	h := journal.Header{Tool: "arazzo " + version, Document: abs, DocumentSHA256: digest,
		Workflows: ids, All: all, Inputs: map[string]map[string]any{}, Withheld: map[string][]string{},
		Options: map[string][]string{optMaxSteps: {strconv.Itoa(f.maxSteps)}}}
	if len(f.servers) > 0 {
		h.Options[optServer] = f.servers
	}
	if len(f.allowHosts) > 0 {
		h.Options[optAllow] = f.allowHosts
	}
	for _, p := range allowPaths {
		if abs, err := filepath.Abs(p); err == nil {
			h.Options[optPath] = append(h.Options[optPath], abs)
		}
	}
	for _, id := range ids {
		sensitive := doc.SensitiveInputs(id)
		kept := map[string]any{}
		for k, v := range inputs[id] {
			if slices.Contains(sensitive, k) || containsSecret(v, f.secrets) {
				h.Withheld[id] = append(h.Withheld[id], k)
				continue
			}
			kept[k] = v
		}
		slices.Sort(h.Withheld[id])
		h.Inputs[id] = kept
	}
	return h, nil
}

// containsSecret reports whether v (an input value) holds a --secret
// literal anywhere.
func containsSecret(v any, secrets []string) bool {
	s := fmt.Sprint(v)
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return true
		}
	}
	return false
}
