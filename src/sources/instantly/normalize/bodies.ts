// Email bodies as text: HTML through html-to-text (entities decoded, blocks
// as lines), and a reply split into its own words and the original it quotes
// (email-reply-parser: "On ... wrote:" headers in many languages, "> " lines,
// Outlook's "From: ..." blocks). Only the rows that need it come here (see
// 35-bodies-to-convert.sql): bodies with only HTML (every real campaign
// email) and received emails.
import EmailReplyParser from "email-reply-parser";
import { compile } from "html-to-text";

const htmlAsText = compile({
  wordwrap: false,
  // HTML's whitespace, and the no-break space (&nbsp;): a space to the reader.
  whitespaceCharacters: " \t\r\n\f\u200b\u00a0",
  selectors: [
    // Link targets are (tracked) URLs, not what the person reads.
    { selector: "a", options: { ignoreHref: true } },
    // Tracking pixels, inline images and rules say nothing.
    { selector: "img", format: "skip" },
    { selector: "hr", format: "skip" },
    ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({ selector, options: { uppercase: false } })),
  ],
});

const replyParser = new EmailReplyParser();
// Outlook puts a line of underscores above its "From: ... Sent: ..." block;
// email-reply-parser takes that line for a signature separator and the quote
// would stay in the reply's text. The line says nothing: it goes first.
const OUTLOOK_SEPARATOR = /^_{20,}[ \t]*$/gm;

export interface BodyText {
  /** What the sender wrote (all of the body for an email that is not a reply). */
  text: string;
  /** The earlier email a reply quotes, if it quotes one. */
  quoted: string | null;
}

/** At most one blank line in a row (empty <div><br></div> lines, gaps around a quote), none around. */
function tidy(text: string): string {
  return (text.includes("\n\n\n") ? text.replace(/\n{3,}/g, "\n\n") : text).trim();
}

export function bodyText(body: string, options: { isHtml: boolean; isReply: boolean }): BodyText {
  const text = options.isHtml ? htmlAsText(body) : body;
  if (!options.isReply) return { text: tidy(text), quoted: null };
  const fragments = replyParser.read(text.replace(OUTLOOK_SEPARATOR, "")).getFragments();
  const own = tidy(
    fragments
      .filter((f) => !f.isQuoted())
      .map((f) => f.getContent())
      .join("\n"),
  );
  const quoted = tidy(
    fragments
      .filter((f) => f.isQuoted())
      .map((f) => f.getContent())
      .join("\n"),
  );
  // A body that is all quote (or that the parser takes for one) stays whole: never an empty reply.
  if (!own || !quoted) return { text: tidy(text), quoted: null };
  return { text: own, quoted };
}
