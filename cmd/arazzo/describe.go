package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/engine"
	"github.com/go-arazzo/arazzo/internal/flowgraph"
)

func newDescribeCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "describe FILE WORKFLOW",
		Short: "Show a workflow's inputs, steps, criteria and actions in readable form",
		Long: `Describe prints one workflow of FILE in readable form: its summary, inputs
(type, required, default; sensitive ones marked), each step in order with the
operation it calls (resolved to a method and path when the OpenAPI source is
loaded), parameters, request body, success criteria, what happens on success
and on failure ("retry after 5s, up to 60 times when …", "goto restoreBackup
when …", "end"), and its outputs.

--format json prints the same as one JSON object.

Exit status: 0 described, 2 unreadable document, unknown workflow or usage
error.`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeFileThenWorkflow,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use text or json)", format)}
			}
			file, id := args[0], args[1]
			doc, err := openForReading(cmd, file)
			if err != nil {
				return err
			}
			w := doc.Bundle.Document.Workflow(id)
			if w == nil {
				return unknownWorkflow(doc, file, id)
			}
			d := flowgraph.Describe(doc.Bundle, w, doc.SensitiveInputs(id))
			out := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			return d.WriteText(out)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// openForReading opens a document for the commands that only read it
// (describe, graph): an unreadable document is exit 2; a document with
// errors is still shown, with a note on stderr.
func openForReading(cmd *cobra.Command, file string) (*engine.Document, error) {
	doc, err := engine.Open(cmd.Context(), file, fileAccess())
	if err != nil {
		printDiagsText(cmd.ErrOrStderr(), file, diagsOf(file, err))
		return nil, &exitError{code: exitInvalid}
	}
	if n := len(doc.Diagnostics().Errors()); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "arazzo: note: %s has %d errors (run `arazzo validate %s`); showing it as written\n", file, n, file)
	}
	return doc, nil
}

func unknownWorkflow(doc *engine.Document, file, id string) error {
	ids := doc.WorkflowIDs()
	list := "none"
	if len(ids) > 0 {
		list = strings.Join(ids, ", ")
	}
	return &exitError{code: exitInvalid, msg: fmt.Sprintf("no workflow %q in %s (workflows: %s)", id, file, list)}
}
