"""A French invoice or its PDF rendering with fpdf2: seller, buyer, number, dates, period, lines, HT, TVA, TTC.

Lines are printed grouped by kind and unit price (an invoice may hold hundreds of thousands of lines);
the CSV export lists each one with its case and evidence ids. Core PDF fonts are Latin-1 only, so the
currency is written `EUR`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF

from relais_outcomes.domain.billing import BillingLine
from relais_outcomes.domain.exports import euros, group_lines, rate_percent
from relais_outcomes.domain.invoices import CreditNote, Invoice

KIND_LABELS = {
    "case_closed": "Dossier traité jusqu'à son issue",
    "successful_contact": "Contact abouti",
    "visit": "Visite à domicile",
    "payment_plan": "Échéancier de paiement conclu",
    "referral_taken_up": "Orientation sociale concrétisée",
}


@dataclass(frozen=True, slots=True)
class Seller:
    """Who issues the invoice."""

    name: str
    address: str
    siret: str
    vat_id: str
    block: tuple[str, ...] = field(init=False, compare=False)  # its lines on every invoice, built once

    def __post_init__(self) -> None:
        object.__setattr__(self, "block", tuple(_latin1(text) for text in (
            f"Vendeur : {self.name}", self.address, f"SIRET : {self.siret} - TVA intracommunautaire : {self.vat_id}")))


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _row(pdf: FPDF, cells: Sequence[tuple[str, float, str]], *, bold: bool = False) -> None:
    pdf.set_font("Helvetica", "B" if bold else "", 9)
    for text, width, align in cells:
        pdf.cell(width, 6, _latin1(text), border=1, align=align)
    pdf.ln()


def _header(pdf: FPDF, invoice: Invoice, seller: Seller) -> None:
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"FACTURE N° {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for text in seller.block:
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
    for text in ("", f"Client : {invoice.partner_id}", "", f"Date d'émission : {invoice.issue_date:%d/%m/%Y}",
                 f"Période facturée : {invoice.period[5:]}/{invoice.period[:4]}",
                 f"Date d'échéance : {invoice.due_date:%d/%m/%Y}"):
        pdf.cell(0, 5, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _totals(pdf: FPDF, invoice: Invoice) -> None:
    rows = [("Sous-total", invoice.subtotal_cents)]
    if invoice.adjustment_kind:
        label = "Minimum mensuel" if invoice.adjustment_kind == "monthly_minimum" else "Plafond mensuel"
        rows.append((f"Ajustement ({label})", invoice.adjustment_cents))
    rows += [("Total HT", invoice.net_cents), (f"TVA {rate_percent(invoice.vat_rate_bp)}", invoice.vat_cents),
             ("Total TTC", invoice.total_cents)]
    for label, cents in rows:
        _row(pdf, [(label, 150, "R"), (f"{euros(cents)} EUR", 40, "R")], bold=label.startswith("Total"))


def render_invoice_pdf(invoice: Invoice, lines: Sequence[BillingLine], credit_notes: Sequence[CreditNote],
                       seller: Seller) -> bytes:
    """The invoice as PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_title(f"Facture {invoice.number}")
    pdf.add_page()
    _header(pdf, invoice, seller)
    _row(pdf, [("Désignation", 95, "L"), ("Quantité", 25, "R"), ("Prix unitaire HT", 35, "R"),
               ("Montant HT", 35, "R")], bold=True)
    for group in group_lines(lines):
        _row(pdf, [(KIND_LABELS.get(group.kind, group.kind), 95, "L"), (str(group.quantity), 25, "R"),
                   (f"{euros(group.unit_cents)} EUR", 35, "R"), (f"{euros(group.amount_cents)} EUR", 35, "R")])
    pdf.ln(2)
    _totals(pdf, invoice)
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 8)
    notes = [f"Paiement à {(invoice.due_date - invoice.issue_date).days} jours, par virement, en rappelant le "
             f"numéro {invoice.number}. Pas d'escompte pour paiement anticipé.",
             "Pénalités de retard : trois fois le taux d'intérêt légal ; indemnité forfaitaire pour frais de "
             "recouvrement : 40 EUR (art. L441-10 du Code de commerce)."]
    if invoice.vat_rate_bp == 0:
        notes.append("TVA non applicable (organisme exonéré).")
    notes += [f"Avoir {c.number} du {c.issue_date:%d/%m/%Y} : -{euros(c.total_cents)} EUR TTC ({c.reason})"
              for c in credit_notes]
    for note in notes:
        pdf.multi_cell(0, 4, _latin1(note), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
