import slackifyMarkdown from 'slackify-markdown';

/**
 * Markdown from the model as Slack mrkdwn. Slack's special mentions (`<!channel>`, `<!here>`,
 * `<!everyone>`, `<!subteam^…>`) are defused so model output can never ping a crowd.
 */
export function toMrkdwn(markdown: string): string {
  return slackifyMarkdown(markdown).replace(/<!/g, '&lt;!').trimEnd();
}
