/**
 * Just enough of a terminal to read what a full-screen CLI (Claude Code's Ink UI) shows: text, the
 * cursor moves it redraws with (CSI A/B/C/D/G/H), erase in line and below; colours and modes are
 * dropped. The screen grows downwards instead of scrolling, which suits UIs that move relatively.
 */
export class TerminalScreen {
  private readonly rows: string[][] = [];
  private r = 0;
  private c = 0;

  private row(i: number): string[] {
    while (this.rows.length <= i) this.rows.push([]);
    return this.rows[i]!;
  }

  write(text: string): void {
    const re = /\x1b\[([0-9;?<>=]*)([a-zA-Z@])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]|[\r\n\b]|[^\x1b\r\n\b]/gu;
    for (const m of text.matchAll(re)) {
      const s = m[0];
      if (m[2] !== undefined) this.csi(m[1] ?? "", m[2]);
      else if (s === "\r") this.c = 0;
      else if (s === "\n") this.r++;
      else if (s === "\b") this.c = Math.max(0, this.c - 1);
      else if (!s.startsWith("\x1b")) this.row(this.r)[this.c++] = s;
    }
  }

  private csi(params: string, cmd: string): void {
    if (params.startsWith("?") || params.startsWith(">") || params.startsWith("<") || params.startsWith("=")) return;
    const [a, b] = params.split(";").map((p) => (p === "" ? undefined : Number(p)));
    const n = a ?? 1;
    const line = this.row(this.r);
    switch (cmd) {
      case "A":
        this.r = Math.max(0, this.r - n);
        break;
      case "B":
        this.r += n;
        break;
      case "C":
        this.c += n;
        break;
      case "D":
        this.c = Math.max(0, this.c - n);
        break;
      case "G":
        this.c = n - 1;
        break;
      case "H":
        this.r = (a ?? 1) - 1;
        this.c = (b ?? 1) - 1;
        break;
      case "K":
        if ((a ?? 0) === 0) line.length = Math.min(line.length, this.c);
        else if (a === 1) for (let i = 0; i <= this.c; i++) line[i] = " ";
        else line.length = 0;
        break;
      case "J":
        if ((a ?? 0) === 0) {
          line.length = Math.min(line.length, this.c);
          this.rows.length = Math.min(this.rows.length, this.r + 1);
        } else if (a === 2 || a === 3) this.rows.length = 0;
        break;
    }
  }

  /** The screen's lines, trailing spaces trimmed. */
  lines(): string[] {
    return this.rows.map((l) => Array.from(l, (ch) => ch ?? " ").join("").trimEnd());
  }

  text(): string {
    return this.lines().join("\n");
  }
}
