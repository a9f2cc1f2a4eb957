// The other ways in: a six-digit email code, a password reset by the emailed link, the
// confirmation email sent again, and signing out.

import { readMail } from '@posey/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertNoTokenLeaks, e2e, launch, newContext, noteTokens, PASSWORD, signUp } from './browser';

let browser: Browser;
let email: string;

beforeAll(async () => {
  browser = await launch();
  const context = await newContext(browser);
  ({ email } = await signUp(await context.newPage(), 'lin'));
  await context.close();
});

afterAll(async () => {
  await browser?.close();
});

async function fresh(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newContext(browser);
  return { context, page: await context.newPage() };
}

describe('signing in', () => {
  it('with the six-digit code from an email', async () => {
    const { context, page } = await fresh();
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Email me a sign-in code instead' }).click();
    // A client-side navigation: fill the new page's form, not the one it replaces.
    await page.waitForURL(/\/sign-in\/code$/);
    await expect.poll(() => page.getByRole('heading', { name: 'Sign in with an email code' }).isVisible()).toBe(true);
    await page.getByPlaceholder('Email').fill(email);
    await page.getByRole('button', { name: 'Send the code' }).click();
    await page.waitForURL(/\/check-email/);
    const mail = await readMail(email, { maildir: e2e().maildir });
    expect(mail.code).toMatch(/^\d{6}$/);
    await page.getByPlaceholder('Code').fill(mail.code as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/chat$/);
    await noteTokens(context);
    await context.close();
  });

  it('refuses a wrong password and says so', async () => {
    const { context, page } = await fresh();
    await page.goto('/sign-in');
    await page.getByPlaceholder('Email').fill(email);
    await page.getByPlaceholder('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in\?error=invalid_credentials/);
    await expect.poll(() => page.getByRole('alert').filter({ hasText: /\S/ }).innerText()).toMatch(/do not match an account/);
    expect((await context.cookies()).filter((c) => c.name.startsWith('posey-'))).toEqual([]);
    await context.close();
  });

  it('after a password reset by the emailed link, with the new password only', async () => {
    const { context, page } = await fresh();
    await page.goto('/forgot-password');
    await page.getByPlaceholder('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.waitForURL(/\/check-email\?.*purpose=recovery/);
    const mail = await readMail(email, { maildir: e2e().maildir });
    await page.goto(mail.verifyLink as string);
    await page.waitForURL(/\/reset-password$/);
    const next = `${PASSWORD} again`;
    await page.getByPlaceholder('New password', { exact: true }).fill(next);
    await page.getByPlaceholder('New password again').fill(next);
    await page.getByRole('button', { name: 'Save the password' }).click();
    await page.waitForURL(/\/chat\?notice=password_changed/);
    await noteTokens(context);
    await context.close();

    const other = await fresh();
    await other.page.goto('/sign-in');
    await other.page.getByPlaceholder('Email').fill(email);
    await other.page.getByPlaceholder('Password').fill(PASSWORD);
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.waitForURL(/error=invalid_credentials/);
    await other.page.getByPlaceholder('Password').fill(next);
    await other.page.getByRole('button', { name: 'Sign in' }).click();
    await other.page.waitForURL(/\/chat$/);
    await noteTokens(other.context);
    // Signing out ends the session here and at auth.
    await other.page.goto('/settings');
    await other.page.getByRole('button', { name: 'Sign out', exact: true }).last().click();
    await other.page.waitForURL(/\/sign-in\?notice=signed_out/);
    expect((await other.context.cookies()).filter((c) => /posey-(at|rt)$/.test(c.name))).toEqual([]);
    await other.page.goto('/chat');
    expect(new URL(other.page.url()).pathname).toBe('/sign-in');
    await other.context.close();
  });
});

describe('signing up', () => {
  it('an unconfirmed address is sent to confirm, and can have the email again', async () => {
    const { context, page } = await fresh();
    const address = `late-${Date.now()}@example.test`;
    await page.goto('/sign-up');
    await page.getByPlaceholder('Email').fill(address);
    await page.getByPlaceholder('Password (8 characters or more)').fill(PASSWORD);
    await page.getByPlaceholder('Password again').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create the account' }).click();
    await page.waitForURL(/\/check-email/);
    await readMail(address, { maildir: e2e().maildir });
    // Signing in before confirming leads back to the code form.
    await signInExpectingConfirmation(page, address);
    await page.getByRole('button', { name: 'No email? Send it again' }).click();
    await page.waitForURL(/notice=sent_again/);
    const again = await readMail(address, { maildir: e2e().maildir });
    await page.getByPlaceholder('Code').fill(again.code as string);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(/\/chat$/);
    await noteTokens(context);
    await context.close();
  });
});

async function signInExpectingConfirmation(page: Page, address: string) {
  await page.goto('/sign-in');
  await page.getByPlaceholder('Email').fill(address);
  await page.getByPlaceholder('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/check-email\?.*error=email_not_confirmed/);
}

describe('tokens', () => {
  it('never reached a response body or a readable cookie', () => {
    assertNoTokenLeaks();
  });
});
