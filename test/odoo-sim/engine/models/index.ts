/** Every model the simulator knows, in registry order. */
import type { ModelDef } from '../model.js';
import { accountMove, accountMoveLine } from './account.js';
import { resCompany, resCountry, resCountryState, resCurrency, resPartner, resPartnerCategory, resUsers } from './base.js';
import { crmLead, crmStage } from './crm.js';
import { baseAutomation, irActionsServer, irModel, irModelData, irModelFields } from './ir.js';
import { mailMessage, mailMessageSubtype } from './mail.js';
import { productCategory, productProduct, productTemplate } from './product.js';
import { saleOrder, saleOrderLine } from './sale.js';
import { stockLocation, stockQuant, stockWarehouse } from './stock.js';

export const MODELS: ModelDef[] = [
  resPartner, resPartnerCategory, resUsers, resCompany, resCurrency, resCountry, resCountryState,
  productCategory, productTemplate, productProduct,
  saleOrder, saleOrderLine,
  stockWarehouse, stockLocation, stockQuant,
  accountMove, accountMoveLine,
  crmStage, crmLead,
  irModel, irModelFields, irActionsServer, baseAutomation,
  irModelData, mailMessageSubtype, mailMessage,
];

/** The models with a chatter (Odoo's mail.thread): message_post exists on these only. */
export const MAIL_THREAD_MODELS: string[] = MODELS.filter((def) => def.mailThread).map((def) => def.name);
