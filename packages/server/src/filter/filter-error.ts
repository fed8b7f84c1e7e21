/** A filter expression that cannot be parsed or evaluated (answered with 400). */
export class FilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterError';
  }
}
