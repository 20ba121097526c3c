package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/journal"
	"github.com/go-arazzo/arazzo/runner"
)

type runFlags struct {
	workflows  []string
	inputs     []string
	inputsFile string
	servers    []string
	format     string
	timeout    time.Duration
	maxSteps   int
	secrets    []string
	allowHosts []string
	quiet      bool
	noColor    bool
	// Reports, verbose dumps and masking (progress.go).
	reports     []string
	verbose     bool
	maskHeaders []string
	// Durable runs (state.go).
	state         string
	resendInDoubt bool
	resumed       *journal.File
	// TLS, request limits and --output-dir (secure.go).
	sec secFlags
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run workflows of an Arazzo document",
		Long: `Run executes workflows of FILE against the APIs its source descriptions name.
Without --workflow every workflow runs, in dependsOn order.

Inputs come from --input NAME=VALUE, then --inputs FILE (JSON or YAML object),
then environment variables ARAZZO_INPUT_<NAME> (upper-cased, non-alphanumerics
as _). Values are converted to the types the workflow's inputs schema declares.

Exit status: 0 every workflow succeeded, 1 a workflow failed, 2 invalid
document, invalid inputs or usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Annotations[resumeAnnotation] != "" {
				return runResume(cmd, args[0], &f)
			}
			return runRun(cmd, args[0], &f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.workflows, "workflow", "w", nil, "workflow id to run (repeatable; default: all)")
	fl.StringArrayVarP(&f.inputs, "input", "i", nil, "input NAME=VALUE (repeatable)")
	fl.StringVar(&f.inputsFile, "inputs", "", "JSON or YAML file with inputs")
	fl.StringArrayVar(&f.servers, "server", nil, "server override SOURCE=URL (repeatable)")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.DurationVar(&f.timeout, "timeout", 0, "stop the whole run after this long (e.g. 10m)")
	fl.IntVar(&f.maxSteps, "max-steps", runner.DefaultMaxSteps, "step execution budget per workflow run")
	fl.StringArrayVar(&f.secrets, "secret", nil, "a literal value to mask in all output (repeatable)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "extra host that x-operation URLs may address (repeatable)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the summary and errors")
	fl.BoolVar(&f.noColor, "no-color", false, "never colour the output")
	fl.StringArrayVar(&f.reports, "report", nil, "write a report KIND=PATH, KIND json, junit or har (repeatable; docs/reports.md)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "also print request and response headers and bodies (truncated, secrets masked)")
	fl.StringArrayVar(&f.maskHeaders, "mask-header", nil, "header NAME whose values are masked like Authorization (repeatable)")
	fl.StringVar(&f.state, "state", "", "journal the run to this file so that 'arazzo resume' can continue it after a crash")
	fl.BoolVar(&f.resendInDoubt, "resend-in-doubt", false, "on resume, send again a non-idempotent request whose outcome was not recorded")
	f.sec.register(cmd)
	return cmd
}

func runRun(cmd *cobra.Command, file string, f *runFlags) error {
	if f.format != "text" && f.format != "json" {
		return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use text or json)", f.format)}
	}
	stdout := cmd.OutOrStdout()
	opts := []engine.Option{engine.WithStepBudget(f.maxSteps), engine.WithSecrets(f.secrets...), engine.WithAllowHosts(f.allowHosts...)}
	for _, s := range f.servers {
		name, u, ok := strings.Cut(s, "=")
		if !ok || name == "" || u == "" {
			return &exitError{code: exitInvalid, msg: fmt.Sprintf("--server %q: want SOURCE=URL", s)}
		}
		opts = append(opts, engine.WithServer(name, u))
	}
	if f.timeout > 0 {
		opts = append(opts, engine.WithRunTimeout(f.timeout))
	}
	masker := newMasker(f.secrets)
	out, err := newRunOutput(cmd, f, masker)
	if err != nil {
		return &exitError{code: exitInvalid, msg: err.Error()}
	}
	defer out.close()
	prog := out.prog
	opts = append(opts, engine.WithObserver(out))
	secOpts, err := f.sec.engineOptions()
	if err != nil {
		return &exitError{code: exitInvalid, msg: err.Error()}
	}
	opts = append(opts, secOpts...)
	traceOpts, flushTraces := setupTracing(cmd.ErrOrStderr())
	defer flushTraces()
	opts = append(opts, traceOpts...)

	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	doc, err := engine.Open(ctx, file, append(opts, fileAccess())...)
	if err != nil {
		printDiagsText(cmd.ErrOrStderr(), file, diagsOf(file, err))
		return &exitError{code: exitInvalid}
	}
	if !doc.Valid() {
		printDiagsText(cmd.ErrOrStderr(), file, doc.Diagnostics().Errors())
		return &exitError{code: exitInvalid, msg: "the document has errors; nothing was run"}
	}
	out.setDocument(doc)
	defer doc.Close()

	ids := f.workflows
	for _, id := range ids {
		if doc.Bundle.Document.Workflow(id) == nil {
			return &exitError{code: exitInvalid, msg: fmt.Sprintf("no workflow %q in %s (workflows: %s)", id, file, strings.Join(doc.WorkflowIDs(), ", "))}
		}
	}
	all := len(ids) == 0
	if all {
		ids = doc.WorkflowIDs()
	}
	given, err := readInputs(f)
	if err != nil {
		return &exitError{code: exitInvalid, msg: err.Error()}
	}
	// Inputs for every workflow, not only those run: nested, goto and
	// dependsOn workflows they reach take theirs from the same flags.
	inputs := map[string]map[string]any{}
	for _, id := range doc.WorkflowIDs() {
		in := f.resumedInputs(id)
		text := map[string]string{}
		for k, v := range given.text {
			text[k] = v
		}
		for _, name := range doc.InputNames(id) {
			if _, ok := text[name]; ok {
				continue
			}
			if _, ok := given.values[name]; ok {
				continue
			}
			if v, ok := os.LookupEnv(envName(name)); ok {
				text[name] = v
			}
		}
		for k, v := range given.values {
			in[k] = v
		}
		for k, v := range doc.CoerceInputs(id, text) {
			in[k] = v
		}
		inputs[id] = in
		for _, name := range doc.SensitiveInputs(id) {
			if s, ok := in[name].(string); ok {
				masker.add(s)
			}
		}
	}

	runOpts, finishJournal, err := f.journal(cmd, file, doc, ids, all, inputs, masker)
	if err != nil {
		return err
	}
	if given.order != nil {
		runOpts = append(runOpts, engine.WithInputOrder(given.order))
	}
	start := time.Now()
	var results []*engine.Result
	if all {
		results, _ = doc.RunAll(ctx, inputs, runOpts...)
	} else {
		for _, id := range ids {
			res, runErr := doc.Run(ctx, id, inputs[id], append(runOpts, engine.WithWorkflowInputs(inputs))...)
			if res == nil {
				return &exitError{code: exitInvalid, msg: masker.mask(runErr.Error())}
			}
			results = append(results, res)
		}
	}
	finishJournal(results)
	code := exitOK
	for _, res := range results {
		if res.Status != runner.StatusSucceeded {
			code = max(code, exitFailed)
			if res.Error != nil && res.Error.Kind == runner.KindInputs {
				code = exitInvalid
			}
		}
	}
	if err := out.writeReports(doc, results, start); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "arazzo: "+masker.mask(err.Error()))
		code = exitInvalid
	}
	saved, err := f.sec.writeOutputs(results)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "arazzo: "+masker.mask(err.Error()))
		code = max(code, exitFailed)
	}
	switch f.format {
	case "json":
		rep := jsonReport(results)
		rep.Insecure, rep.Files = f.sec.insecure, saved
		data, err := masker.EncodeJSON(rep)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(data); err != nil {
			return err
		}
	default:
		prog.summary(results, time.Since(start))
		f.sec.report(stdout, saved)
	}
	if code != exitOK {
		return &exitError{code: code}
	}
	return nil
}

// givenInputs are inputs from flags (text, to be coerced by schema) and
// from a file (already typed).
type givenInputs struct {
	text   map[string]string
	values map[string]any
	// order gives the member order of the objects in values, as the file
	// wrote them.
	order func(map[string]any) []string
}

func readInputs(f *runFlags) (givenInputs, error) {
	g := givenInputs{text: map[string]string{}, values: map[string]any{}}
	if f.inputsFile != "" {
		data, err := os.ReadFile(f.inputsFile)
		if err != nil {
			return g, fmt.Errorf("--inputs: %w", err)
		}
		decoded, order, err := arazzo.DecodeValue(f.inputsFile, data)
		if err != nil {
			return g, fmt.Errorf("--inputs: %w", err)
		}
		v, ok := decoded.(map[string]any)
		if !ok {
			return g, fmt.Errorf("--inputs %s: not a JSON or YAML object: the file holds %s; write an object of input names and values", f.inputsFile, jsonKind(decoded))
		}
		g.order = order
		for k, val := range v {
			g.values[k] = val
		}
	}
	for _, kv := range f.inputs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return g, fmt.Errorf("--input %q: want NAME=VALUE", kv)
		}
		delete(g.values, k)
		g.text[k] = v
	}
	return g, nil
}

// envName is the environment variable an input can come from.
func envName(input string) string {
	var b strings.Builder
	b.WriteString("ARAZZO_INPUT_")
	for _, r := range strings.ToUpper(input) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// The --format json contract.
type jsonRun struct {
	Workflows []jsonWorkflow `json:"workflows"`
	// Insecure is true when TLS verification was off (--insecure).
	Insecure bool `json:"insecure,omitempty"`
	// Files lists the outputs saved with --output-dir.
	Files []savedFile `json:"files,omitempty"`
}

type jsonWorkflow struct {
	WorkflowID string         `json:"workflowId"`
	Status     string         `json:"status"`
	Outputs    map[string]any `json:"outputs"`
	Error      *jsonError     `json:"error,omitempty"`
	Steps      []jsonStep     `json:"steps"`
	DurationMs int64          `json:"durationMs"`
}

type jsonError struct {
	StepID     string   `json:"stepId,omitempty"`
	Kind       string   `json:"kind"`
	Message    string   `json:"message"`
	Request    string   `json:"request,omitempty"`
	StatusCode int      `json:"statusCode,omitempty"`
	Criteria   []string `json:"criteria,omitempty"`
	Hint       string   `json:"hint,omitempty"`
}

type jsonStep struct {
	StepID     string `json:"stepId"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	StatusCode int    `json:"statusCode"`
	DurationMs int64  `json:"durationMs"`
}

func jsonReport(results []*engine.Result) jsonRun {
	out := jsonRun{Workflows: []jsonWorkflow{}}
	for _, res := range results {
		w := jsonWorkflow{WorkflowID: res.WorkflowID, Status: string(res.Status), Outputs: res.Outputs,
			Steps: []jsonStep{}, DurationMs: res.Duration.Milliseconds()}
		if w.Outputs == nil {
			w.Outputs = map[string]any{}
		}
		if e := res.Error; e != nil {
			je := &jsonError{StepID: e.StepID, Kind: string(e.Kind), Message: e.Message, Request: e.Request, StatusCode: e.StatusCode, Hint: e.Hint}
			for _, c := range e.Criteria {
				je.Criteria = append(je.Criteria, c.Explanation)
			}
			w.Error = je
		}
		for _, s := range res.Steps {
			w.Steps = append(w.Steps, jsonStep{StepID: s.StepID, Status: string(s.Status), Attempts: s.Attempts,
				StatusCode: s.StatusCode, DurationMs: s.Duration.Milliseconds()})
		}
		out.Workflows = append(out.Workflows, w)
	}
	return out
}

// jsonKind names the JSON type of a decoded value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	}
	return "a number"
}
