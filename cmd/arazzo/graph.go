package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/go-arazzo/arazzo/arazzo"
	"github.com/go-arazzo/arazzo/internal/flowgraph"
)

func newGraphCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph FILE [WORKFLOW]",
		Short: "Draw a workflow's control flow as a Mermaid or Graphviz DOT graph",
		Long: `Graph prints the control flow of a workflow: its steps as nodes, with edges for
the default path (next step on success, failure when no action applies), goto,
retry (poll loops appear as self-loops labelled "retry ≤N") and end actions,
and nodes for the outcomes (succeeded, failed, failed by an end action) and
for other workflows a goto transfers to. Steps that run a nested workflow are
drawn as subroutines. Without WORKFLOW, every workflow is drawn, each as a
Mermaid subgraph or a DOT cluster.

  arazzo graph flow.arazzo.yaml > flow.mmd                 # paste into Markdown
  arazzo graph flow.arazzo.yaml backup --format dot | dot -Tsvg > backup.svg

Exit status: 0 drawn, 2 unreadable document, unknown workflow or usage error.`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeFileThenWorkflow,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "mermaid" && format != "dot" {
				return &exitError{code: exitInvalid, msg: fmt.Sprintf("unknown --format %q (use mermaid or dot)", format)}
			}
			file := args[0]
			doc, err := openForReading(cmd, file)
			if err != nil {
				return err
			}
			ws := doc.Bundle.Document.Workflows
			all := len(args) == 1
			if !all {
				w := doc.Bundle.Document.Workflow(args[1])
				if w == nil {
					return unknownWorkflow(doc, file, args[1])
				}
				ws = []*arazzo.Workflow{w}
			}
			gs := flowgraph.Build(doc.Bundle, ws)
			if format == "dot" {
				return flowgraph.Dot(cmd.OutOrStdout(), gs, all)
			}
			return flowgraph.Mermaid(cmd.OutOrStdout(), gs, all)
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "output format: mermaid or dot")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"mermaid", "dot"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
