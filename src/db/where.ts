/** A `WHERE` clause built from conditions with `?` placeholders, numbered `$n` as values are added. */
export class Where {
  readonly conds: string[] = [];
  readonly params: unknown[] = [];
  add(sqlText: string, v: unknown): this {
    this.params.push(v);
    this.conds.push(sqlText.replaceAll("?", `$${this.params.length}`));
    return this;
  }
  get text(): string {
    return this.conds.length ? `WHERE ${this.conds.join(" AND ")}` : "";
  }
}
