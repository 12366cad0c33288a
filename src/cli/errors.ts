/** Bad input from the user: printed as one clear line without a stack trace; exit code 2. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
